//! Steps of `features/authorization_code.feature` beyond the shared ones in `common.rs`.
