//! Steps of `features/expiry.feature`.
