//! Steps of `features/scopes.feature`.
