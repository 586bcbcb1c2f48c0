//! Steps of `features/jwks.feature`.
