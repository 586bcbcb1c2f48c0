//! Steps of `features/registration.feature`.
