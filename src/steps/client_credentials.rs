//! Steps of `features/client_credentials.feature`.
