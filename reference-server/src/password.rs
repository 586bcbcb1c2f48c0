//! Password checks with bounded time and memory.
//!
//! An argon2 check needs its whole memory cost at once (19 MiB with the
//! default parameters). Left alone, a burst of logins runs one check per
//! blocking thread, and the allocator keeps each thread's 19 MiB long
//! after: hundreds of megabytes. Here at most one check per core runs at a
//! time, and the memory blocks are reused from a pool, so the server's
//! memory for logins stays at `cores × memory cost`.

use std::sync::Mutex;

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

pub struct PasswordChecker {
    permits: Semaphore,
    blocks: Mutex<Vec<Vec<Block>>>,
}

impl Default for PasswordChecker {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }
}

impl PasswordChecker {
    /// At most `parallel` checks at once.
    pub fn new(parallel: usize) -> Self {
        Self {
            permits: Semaphore::new(parallel.max(1)),
            blocks: Mutex::new(Vec::new()),
        }
    }

    /// Whether `password` matches the PHC-format argon2 `hash`.
    pub async fn verify(&self, hash: String, password: String) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let mut blocks = self
            .blocks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        let checked = tokio::task::spawn_blocking(move || {
            let ok = verify_with(&hash, password.as_bytes(), &mut blocks);
            (ok, blocks)
        })
        .await;
        match checked {
            Ok((ok, blocks)) => {
                self.blocks
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(blocks);
                ok
            }
            Err(_) => false,
        }
    }
}

/// Recomputes the hash of `password` with the algorithm, version,
/// parameters and salt of `hash`, in `blocks`, and compares in constant time.
fn verify_with(hash: &str, password: &[u8], blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Ok(params), Some(salt), Some(expected)) =
        (Params::try_from(&parsed), parsed.salt, parsed.hash)
    else {
        return false;
    };
    blocks.resize(params.block_count(), Block::default());
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt.as_ref(), &mut out, &mut blocks[..])
        .is_ok()
        && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn checks_like_argon2_itself() {
        let checker = PasswordChecker::new(1);
        let hash = crate::config::ALICE_PASSWORD_HASH.to_string();
        assert!(checker.verify(hash.clone(), "alice-password".into()).await);
        assert!(!checker.verify(hash.clone(), "alice-passwore".into()).await);
        assert!(
            !checker
                .verify("not a hash".into(), "alice-password".into())
                .await
        );
        // A hash with other parameters reuses (and resizes) the pooled blocks.
        let small = "$argon2id$v=19$m=64,t=1,p=1$HB0HpCa9Bl9NQ6B545GsdQ$93S3KlJHlTYbBNYp7EoDSo52ByEOkNEO3+GKMsq/giQ";
        assert!(checker.verify(small.into(), "alice-password".into()).await);
        assert!(!checker.verify(small.into(), "nope".into()).await);
        assert_eq!(
            checker.blocks.lock().unwrap().len(),
            1,
            "one buffer, reused"
        );
    }
}
