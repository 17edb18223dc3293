//! Configuration: the command line and its `PORTIER_*` / `DATABASE_URL` environment twins,
//! parsed once by clap into typed structs. Secrets are [`Secret`], which never prints; the
//! network settings (`--public-url`, `--trusted-proxies`) are parsed in `net`.

mod net;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use net::{is_host, PublicUrl, TrustedProxy};

/// Portier: the authorization sidecar of a hosting client area.
#[derive(Debug, Parser)]
#[command(name = "portier", version, about)]
pub struct Cli {
    /// Log format: `text` for people, `json` for collectors.
    #[arg(long, env = "PORTIER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Parse and strictly validate the policies against the schemas; exit non-zero on error.
    Validate(PolicyArgs),
    /// Run the policy tests in `<policies>/tests/*.json` (the `cedar run-tests` format).
    Test(TestArgs),
    /// Decide one check against the database, print the answer as JSON.
    Check(CheckArgs),
    /// Create the database if missing and apply the migrations.
    Migrate(DatabaseArgs),
    /// Prove the invariants of `<policies>/invariants/*.cedar` for every possible request.
    Verify(VerifyArgs),
    /// Compare two policy sets (folders or git revisions) for every possible request, and
    /// show who gains or loses what in a database.
    Diff(DiffArgs),
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the policies and schemas live.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Folder of `*.cedar` policy files (default `policies`).
    #[arg(long, env = "PORTIER_POLICIES", default_value = "policies")]
    pub policies: PathBuf,
    /// Folder of `*.cedarschema` files (default `schemas`).
    #[arg(long, env = "PORTIER_SCHEMAS", default_value = "schemas")]
    pub schemas: PathBuf,
}

/// `portier test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Folder of test files to run instead of `<policies>/tests` (e.g. saved counterexamples).
    #[arg(long)]
    pub tests: Option<PathBuf>,
}

/// `portier verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The cvc5 executable (default: `$CVC5`, else `cvc5` on the PATH).
    #[arg(long, env = "PORTIER_SOLVER")]
    pub solver: Option<PathBuf>,
    /// Folder to save counterexamples in, as `cedar run-tests` files (default: a folder under
    /// the system's temporary directory).
    #[arg(long)]
    pub counterexamples: Option<PathBuf>,
    /// Output of the proofs and the coverage table: `text`, `json`, or `markdown`.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `portier diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The old side: a folder of `*.cedar` files (typed by `--schemas`) or a git revision.
    pub old: String,
    /// The new side, likewise (default: the working tree's `--policies` and `--schemas`).
    pub new: Option<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The cvc5 executable (default: `$CVC5`, else `cvc5` on the PATH).
    #[arg(long, env = "PORTIER_SOLVER")]
    pub solver: Option<PathBuf>,
    /// A database (`sqlite://FILE` or `postgres://…`) to report which members gain or lose what.
    #[arg(long)]
    pub database_url: Option<Secret>,
    /// Output: `text` for people, `json`, or `markdown` for a code-review comment.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// How `portier diff` and `portier verify` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Lines for people.
    Text,
    /// One JSON document.
    Json,
    /// A Markdown comment.
    Markdown,
}

/// Which database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` (created when missing) or `postgres://…` (default `sqlite://portier.db`).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://portier.db")]
    pub database_url: Secret,
    /// Longest wait for a database connection, in milliseconds, before answering 503 (default 3000).
    #[arg(long, env = "PORTIER_DATABASE_TIMEOUT_MS", default_value_t = 3000)]
    pub database_timeout_ms: u64,
}

impl DatabaseArgs {
    /// The connection wait as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.database_timeout_ms)
    }
}

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
    /// How long an invitation's token stays valid: seconds, or a number with `s`, `m`, `h`
    /// or `d` (default `7d`).
    #[arg(long, env = "PORTIER_INVITATION_TTL", default_value = "7d", value_parser = parse_duration)]
    pub invitation_ttl: Duration,
    /// Bytes the in-process decision cache may take (default 64 MiB).
    #[arg(long, env = "PORTIER_CACHE_BYTES", default_value_t = 64 << 20)]
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
    /// The cache TTL as a duration.
    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_secs)
    }
}

/// `portier check`: one decision from the command line.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The user asking, e.g. `alice` or `User::"alice"`.
    #[arg(long)]
    pub principal: String,
    /// The action, e.g. `payInvoice`.
    #[arg(long)]
    pub action: String,
    /// The resource, e.g. `Invoice::"inv-9"`.
    #[arg(long)]
    pub resource: String,
    /// The account the resource belongs to (implied when the resource is an Account).
    #[arg(long)]
    pub account: Option<String>,
    /// Context as a JSON object.
    #[arg(long, default_value = "{}")]
    pub context: String,
}

/// `90`, `90s`, `15m`, `12h`, `7d`.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let (number, unit) = raw.trim().split_at(
        raw.trim()
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(raw.trim().len()),
    );
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 90s, 15m, 12h or 7d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{raw:?}: the unit must be s, m, h or d")),
    };
    value
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{raw:?} is out of range"))
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
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("soon").is_err());
    }
}

/// A secret string (token, database URL with password): prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself; call only where it is used, never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Secret(raw.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
