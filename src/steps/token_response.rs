//! Steps of `features/token_response.feature`.
