//! Steps of `features/introspection.feature`.
