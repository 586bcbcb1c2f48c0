//! Steps of `features/revocation.feature`.
