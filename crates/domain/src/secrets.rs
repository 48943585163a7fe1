//! Personal access tokens, session ids and passwords.
//!
//! A token is `orgn_pat_` + 32 random base62 characters + a 6-character base62 CRC32 of the
//! random part, so a scanner can recognise a leaked token offline and we can reject a
//! mistyped one before touching the database. Only its SHA-256 digest is stored: 190 random
//! bits need no slow hash, and a fast one allows an indexed lookup.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

pub const TOKEN_PREFIX: &str = "orgn_pat_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters of base62 from the OS CSPRNG, without modulo bias.
pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).expect("the OS random source is available");
        for b in buf {
            // 248 = 4 * 62: bytes above it would favour the first characters.
            if b < 248 && out.len() < len {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    out
}

fn base62_fixed(mut n: u32, len: usize) -> String {
    let mut digits = vec![b'0'; len];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(digits).expect("base62 is ascii")
}

/// CRC-32 (IEEE), as GitHub uses for its token checksums.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn new_token() -> String {
    new_prefixed_token(TOKEN_PREFIX)
}

/// A token in the personal access token's shape under another prefix (OAuth's tokens).
pub fn new_prefixed_token(prefix: &str) -> String {
    with_checksum(prefix, &random_base62(RANDOM_LEN))
}

/// A token in that shape whose random part is derived from `seed`: the same seed gives the
/// same token, so a server that keeps only digests can hand the same token out twice (an
/// OAuth refresh repeated within its grace). The seed must hold a secret.
pub fn derived_token(prefix: &str, seed: &str) -> String {
    let mut random = String::with_capacity(RANDOM_LEN);
    let mut round = 0u32;
    while random.len() < RANDOM_LEN {
        let block = Sha256::new()
            .chain_update(seed.as_bytes())
            .chain_update(round.to_be_bytes())
            .finalize();
        for b in block {
            if b < 248 && random.len() < RANDOM_LEN {
                random.push(BASE62[(b % 62) as usize] as char);
            }
        }
        round += 1;
    }
    with_checksum(prefix, &random)
}

fn with_checksum(prefix: &str, random: &str) -> String {
    let check = base62_fixed(crc32(random.as_bytes()), CHECKSUM_LEN);
    format!("{prefix}{random}{check}")
}

/// True when the token has our prefix, the right length and alphabet, and its checksum
/// matches. Says nothing about whether it was ever issued.
pub fn token_well_formed(token: &str) -> bool {
    prefixed_token_well_formed(TOKEN_PREFIX, token)
}

/// `token_well_formed` for a token of another prefix.
pub fn prefixed_token_well_formed(prefix: &str, token: &str) -> bool {
    let Some(body) = token.strip_prefix(prefix) else {
        return false;
    };
    if body.len() != RANDOM_LEN + CHECKSUM_LEN || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = body.split_at(RANDOM_LEN);
    base62_fixed(crc32(random.as_bytes()), CHECKSUM_LEN) == check
}

/// Hex SHA-256: what the database keeps of a token or session id.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// `orgn_pat_…AbCd`: enough to recognise a token, useless to an attacker.
pub fn token_hint(token: &str) -> String {
    format!("{TOKEN_PREFIX}…{}", &token[token.len() - 4..])
}

pub fn hash_password(password: &str) -> String {
    let mut salt_bytes = [0u8; 16];
    getrandom::fill(&mut salt_bytes).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id with default parameters hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn tokens_are_well_formed_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 38);
        assert!(token_well_formed(&a));
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        let token = new_token();
        let mut chars: Vec<char> = token.chars().collect();
        let i = TOKEN_PREFIX.len() + 3;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        let tampered: String = chars.into_iter().collect();
        assert!(!token_well_formed(&tampered));
        assert!(!token_well_formed("orgn_pat_short"));
        assert!(!token_well_formed(&token.replace(TOKEN_PREFIX, "ghp_")));
    }

    #[test]
    fn derived_tokens_repeat_for_one_seed_only() {
        let a = derived_token("orgn_ort_", "seed one");
        assert_eq!(a, derived_token("orgn_ort_", "seed one"));
        assert_ne!(a, derived_token("orgn_ort_", "seed two"));
        assert!(prefixed_token_well_formed("orgn_ort_", &a));
        assert!(!token_well_formed(&a));
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
    }
}
