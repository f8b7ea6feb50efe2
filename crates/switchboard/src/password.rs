//! Secrets: argon2id for passwords (slow on purpose, run off the async threads), SHA-256 for
//! the long random tokens of sessions and bearer clients, and drawing those tokens.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes a password into an argon2id PHC string with a fresh salt (argon2's default cost:
/// 19 MiB, 2 passes, OWASP's recommendation).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("argon2: {e}"))
}

/// Whether `password` matches the PHC string `hash` (false for an unreadable hash). Takes
/// the same time whether or not it matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Password checks running at once. Each argon2 check holds 19 MiB and a core for tens of
/// milliseconds, so unbounded parallel logins take memory without limit (128 took 2.3 GB);
/// past the cap a check is refused at once rather than queued.
#[derive(Clone, Debug)]
pub struct PasswordChecks {
    slots: Arc<Semaphore>,
}

/// Every password-check slot is taken: answer 503 and let the client retry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("too many password checks at once")]
pub struct ChecksBusy;

impl PasswordChecks {
    /// At most `n` (at least 1) checks at once.
    pub fn new(n: usize) -> Self {
        PasswordChecks {
            slots: Arc::new(Semaphore::new(n.max(1))),
        }
    }

    /// [`verify_password`] on a blocking thread, if a slot is free now.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, ChecksBusy> {
        let slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| ChecksBusy)?;
        let check = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            verify_password(&password, &hash)
        });
        Ok(check.await.unwrap_or(false))
    }
}

/// Whether `hash` is an argon2 PHC string we can verify against.
pub fn is_argon2_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

/// Lowercase hex SHA-256: how session and bearer tokens are stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits from the OS, as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Constant-time equality of two tokens.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(is_argon2_hash(&h));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsE", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(
            h,
            hash_password("correct horse").expect("hash"),
            "fresh salt"
        );
    }

    /// Guards against unbounded parallel argon2 checks (128 parallel logins took 2.3 GB).
    #[tokio::test]
    async fn password_checks_past_the_cap_are_refused_at_once() {
        let hash = hash_password("pw").expect("hash");
        let checks = PasswordChecks::new(1);
        let first = tokio::spawn({
            let (checks, hash) = (checks.clone(), hash.clone());
            async move { checks.verify("pw".into(), hash).await }
        });
        while checks.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            checks.verify("pw".into(), hash.clone()).await,
            Err(ChecksBusy)
        );
        assert_eq!(first.await.expect("task"), Ok(true));
        assert_eq!(checks.verify("nope".into(), hash).await, Ok(false));
    }

    #[test]
    fn tokens_are_random_and_compare_exactly() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(tokens_equal(&a, &a.clone()));
        assert!(!tokens_equal(&a, &b));
        assert!(!tokens_equal(&a, &a[..63]));
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
