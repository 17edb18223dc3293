//! The configured bearer tokens: several per scope (so a token can be rotated without
//! downtime: add the new one, move the clients, drop the old one), checked at start-up so a
//! mistake stops the server with a clear message instead of silently failing every request.
//! Tokens are kept as SHA-256 digests and compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::auth::Scope;
use crate::domain::Secret;

/// Shortest token accepted: 16 characters (hex of 64 random bits at least).
pub const MIN_TOKEN_LEN: usize = 16;

/// The configured tokens, as digests.
#[derive(Debug, Default)]
pub struct Tokens {
    entries: Vec<([u8; 32], Scope)>,
}

impl Tokens {
    /// One token per scope, either absent, taken as given (see [`Tokens::configured`] for the
    /// checked form `serve` uses).
    pub fn new(admin: Option<&Secret>, check: Option<&Secret>) -> Self {
        let entries = [(admin, Scope::Admin), (check, Scope::Check)]
            .into_iter()
            .filter_map(|(secret, scope)| secret.map(|s| (digest(s.expose()), scope)))
            .collect();
        Tokens { entries }
    }

    /// Several tokens per scope, each checked: at least [`MIN_TOKEN_LEN`] visible ASCII
    /// characters (no white space, which could never match a header), and none in both
    /// scopes (a check client would get admin rights). The error never shows a token.
    pub fn configured(admin: &[Secret], check: &[Secret]) -> Result<Tokens, String> {
        let mut entries = Vec::new();
        for (secrets, scope, name) in [
            (admin, Scope::Admin, "admin"),
            (check, Scope::Check, "check"),
        ] {
            for (i, secret) in secrets.iter().enumerate() {
                well_formed(secret.expose())
                    .map_err(|problem| format!("{name} token #{}: {problem}", i + 1))?;
                entries.push((digest(secret.expose()), scope));
            }
        }
        let shared = entries.iter().any(|(known, scope)| {
            entries
                .iter()
                .any(|(other, other_scope)| other == known && other_scope != scope)
        });
        if shared {
            return Err(
                "the same token is configured for the admin and the check scope; \
                        check clients would get admin rights: give each scope its own tokens"
                    .into(),
            );
        }
        entries.dedup();
        Ok(Tokens { entries })
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The scope of a presented token, if it is one of ours. Every entry is compared, each
    /// in constant time, so the time taken says nothing about the token.
    pub(super) fn scope_of(&self, token: &str) -> Option<Scope> {
        let presented = digest(token);
        let mut found = None;
        for (known, scope) in &self.entries {
            if bool::from(known.ct_eq(&presented)) {
                found = Some(*scope);
            }
        }
        found
    }
}

/// Why a configured token can never work or is too easy to guess.
fn well_formed(token: &str) -> Result<(), String> {
    if token.trim() != token {
        return Err("has white space around it, so no request could ever match it".into());
    }
    if !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err("must be visible ASCII characters only (no spaces)".into());
    }
    if token.len() < MIN_TOKEN_LEN {
        return Err(format!(
            "is {} characters long; use at least {MIN_TOKEN_LEN} (e.g. `openssl rand -hex 32`)",
            token.len()
        ));
    }
    Ok(())
}

/// The tokens `serve` runs with, checked. With none configured, a random admin token is
/// generated for a loopback address (returned, to be shown once) and refused otherwise.
pub fn from_settings(
    admin: Vec<Secret>,
    check: Vec<Secret>,
    bind: std::net::SocketAddr,
) -> Result<(Tokens, Option<Secret>), String> {
    if admin.is_empty() && check.is_empty() {
        if !bind.ip().is_loopback() {
            return Err(format!("no token configured: set PORTIER_ADMIN_TOKEN (and PORTIER_CHECK_TOKEN) before listening on {bind}"));
        }
        let generated = Secret::new(random_token());
        let tokens = Tokens::configured(std::slice::from_ref(&generated), &[])?;
        return Ok((tokens, Some(generated)));
    }
    Ok((Tokens::configured(&admin, &check)?, None))
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// 256 random bits, hex.
fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> Vec<Secret> {
        values.iter().map(|v| Secret::new(*v)).collect()
    }

    #[test]
    fn configured_tokens_are_checked() {
        let good = secrets(&["admin-token-0001", "admin-token-0002"]);
        let tokens = Tokens::configured(&good, &secrets(&["check-token-0001"])).unwrap();
        assert_eq!(tokens.scope_of("admin-token-0002"), Some(Scope::Admin));
        assert_eq!(tokens.scope_of("check-token-0001"), Some(Scope::Check));
        assert_eq!(tokens.scope_of("admin-token-0003"), None);
        for bad in [
            "x",
            " admin-token-0001",
            "admin-token-0001 ",
            "admin token 00001",
            "admin-tökén-00001",
        ] {
            let err = Tokens::configured(&secrets(&[bad]), &[]).unwrap_err();
            assert!(err.starts_with("admin token #1: "), "{bad:?}: {err}");
            assert!(
                bad.len() < 5 || !err.contains(bad.trim()),
                "the message shows the token: {err}"
            );
        }
        let shared = Tokens::configured(&good, &secrets(&["admin-token-0002"])).unwrap_err();
        assert!(shared.contains("admin and the check scope"), "{shared}");
    }
}
