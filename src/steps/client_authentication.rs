//! Steps of `features/client_authentication.feature`.
