//! Steps of `features/discovery.feature`.
