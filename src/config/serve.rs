//! `portier serve`'s arguments: where it listens, its tokens and limits, the caches, and the
//! network settings; and how they become the [`AppSettings`] the application is built from.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::{DatabaseArgs, PolicyArgs};
use crate::app::{AppSettings, CacheSettings};
use crate::domain::{PublicUrl, Secret, TrustedProxy};

/// `portier serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (default `127.0.0.1:8180`).
    #[arg(long, env = "PORTIER_BIND", default_value = "127.0.0.1:8180")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Tokens with the `admin` scope: every route, acting as hosting staff. Repeat the flag or
    /// separate with commas to accept several at once (rotation). At least 16 characters.
    #[arg(
        long,
        env = "PORTIER_ADMIN_TOKEN",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub admin_token: Vec<Secret>,
    /// More `admin` tokens, comma-separated (added to `--admin-token`).
    #[arg(
        long,
        env = "PORTIER_ADMIN_TOKENS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub admin_tokens: Vec<Secret>,
    /// Tokens with the `check` scope: the check routes only. Repeatable, or comma-separated.
    #[arg(
        long,
        env = "PORTIER_CHECK_TOKEN",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub check_token: Vec<Secret>,
    /// More `check` tokens, comma-separated (added to `--check-token`).
    #[arg(
        long,
        env = "PORTIER_CHECK_TOKENS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub check_tokens: Vec<Secret>,
    /// How long a request head may take to arrive, in milliseconds (default 10000).
    #[arg(long, env = "PORTIER_HEADER_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_ms: u64,
    /// How long a request body may take to arrive, in milliseconds, then `408` (default 30000).
    #[arg(long, env = "PORTIER_BODY_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_ms: u64,
    /// How long an idle keep-alive connection stays open, in milliseconds (default 60000).
    #[arg(long, env = "PORTIER_IDLE_TIMEOUT_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_ms: u64,
    /// Most connections open at once; past it, new ones wait in the kernel's backlog
    /// (default 1024; keep it below the open-files limit).
    #[arg(long, env = "PORTIER_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// How long a cached decision may live at most, in seconds: the backstop should an
    /// invalidation be lost (default 60).
    #[arg(long, env = "PORTIER_CACHE_TTL", default_value_t = 60)]
    pub cache_ttl_secs: u64,
    /// Redis for the shared decision cache, e.g. `redis://127.0.0.1:6379`; in-process cache when absent.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<Secret>,
    /// Prefix of every Redis key, so several deployments can share a Redis (default `portier:`).
    #[arg(long, env = "PORTIER_REDIS_PREFIX", default_value = "portier:")]
    pub redis_prefix: String,
    /// Longest wait for one Redis call, in milliseconds, before checking without cache (default 100).
    #[arg(long, env = "PORTIER_REDIS_TIMEOUT_MS", default_value_t = 100)]
    pub redis_timeout_ms: u64,
    /// How long an invitation's token stays valid: seconds, or a duration such as `12h`,
    /// `7d` or `1h30m` (default `7d`).
    #[arg(long, env = "PORTIER_INVITATION_TTL", default_value = "7d", value_parser = parse_duration)]
    pub invitation_ttl: Duration,
    /// Bytes the in-process decision cache may take (default 64 MiB).
    #[arg(long, env = "PORTIER_CACHE_BYTES", default_value_t = crate::cache::DEFAULT_CACHE_BYTES)]
    pub cache_bytes: u64,
    /// Bytes the facts cache may take, verdict memos included (default 16 MiB).
    #[arg(long, env = "PORTIER_FACTS_CACHE_BYTES", default_value_t = crate::cache::facts::DEFAULT_FACTS_BYTES)]
    pub facts_cache_bytes: u64,
    /// The largest request cached, in bytes of its key (context and caller-supplied entities
    /// included); a larger one is evaluated every time (default 4096).
    #[arg(long, env = "PORTIER_CACHE_ENTRY_MAX_BYTES", default_value_t = crate::cache::DEFAULT_ENTRY_LIMIT)]
    pub cache_entry_max_bytes: usize,
    /// How often each replica reads the revisions every write records in the database, in
    /// milliseconds; no replica serves a cached decision from before an acknowledged write
    /// for more than four times this (default 250: 1 s).
    #[arg(long, env = "PORTIER_CACHE_SYNC_MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub cache_sync_ms: u64,
    /// The URL callers reach Portier at, e.g. `https://pdp.example.com`, used in the AuthZEN
    /// metadata (default: none, so the request's `Host` header over `http`).
    #[arg(long, env = "PORTIER_PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,
    /// Proxies whose `X-Forwarded-Host` and `X-Forwarded-Proto` are believed: IP addresses
    /// or CIDR ranges, repeatable or comma-separated (default: none; anyone can send those
    /// headers, so they are ignored from every other peer).
    #[arg(long, env = "PORTIER_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<TrustedProxy>,
}

impl ServeArgs {
    /// Every admin token given, by either flag.
    pub fn admin_tokens(&self) -> Vec<Secret> {
        self.admin_token
            .iter()
            .chain(&self.admin_tokens)
            .cloned()
            .collect()
    }

    /// Every check token given, by either flag.
    pub fn check_tokens(&self) -> Vec<Secret> {
        self.check_token
            .iter()
            .chain(&self.check_tokens)
            .cloned()
            .collect()
    }

    /// What the served application is built from.
    pub fn app_settings(&self) -> AppSettings {
        let redis = self.redis_url.as_ref().map(|url| {
            (
                url.clone(),
                self.redis_prefix.clone(),
                Duration::from_millis(self.redis_timeout_ms),
            )
        });
        AppSettings {
            cache: CacheSettings {
                redis,
                bytes: self.cache_bytes,
                facts_bytes: self.facts_cache_bytes,
                entry_max_bytes: self.cache_entry_max_bytes,
                ttl: Duration::from_secs(self.cache_ttl_secs),
                sync_every: Duration::from_millis(self.cache_sync_ms),
            },
            invitation_ttl: self.invitation_ttl,
            ..self.database.app_settings(&self.policy)
        }
    }
}

/// `90`, `90s`, `15m`, `12h`, `7d`.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let parsed = if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.parse()
            .map(Duration::from_secs)
            .map_err(|e| e.to_string())
    } else {
        humantime::parse_duration(raw).map_err(|e| e.to_string())
    };
    match parsed {
        Ok(duration) if duration >= Duration::from_secs(1) => Ok(duration),
        Ok(_) => Err(format!("{raw:?}: a duration must be at least 1s")),
        Err(why) => Err(format!(
            "{raw:?} is not a duration like 90s, 15m, 12h, 7d or 1h30m ({why})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_duration("0s").is_err());
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("500ms").is_err());
        assert!(parse_duration("1ns").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
