//! The Redis decision cache, shared by every replica that points at the same Redis and prefix.
//!
//! Keys, all under `{prefix}{data identity}:` (so deployments over different databases never
//! share an entry, whatever prefix they were given): `rev:u:{user}` / `rev:a:{account}` are
//! revision counters, raised to the database's revision of each write (no TTL: evicting one
//! would bring old entries back, so Redis must not evict keys without a TTL, e.g.
//! `maxmemory-policy volatile-lru`); `rev:seen` is the watermark of the sync (every revision
//! at or below it has been raised); `d:{sha256 of the request key}` holds a verdict and the
//! revisions it was computed under, with a TTL. A lookup is one script: the revisions and
//! the stored verdict in one round trip.
//!
//! Every call has a timeout; a failing Redis means "no cache" (checks are evaluated against
//! the store), never an error. A raise that Redis does not take is left to the sync, which
//! reads it from the database (see `sync`).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CacheKey, Cached, PrincipalKind, Revisioned, Revisions, Subjects};
use crate::authz::Verdict;

/// Reads the revision counters (all keys but the last) and the stored decision (the last).
const LOOKUP: &str = r"
local found = redis.call('MGET', unpack(KEYS, 1, #KEYS - 1))
found[#KEYS] = redis.call('GET', KEYS[#KEYS])
return found";

/// Raises each key (a revision counter, or the watermark) to its argument when higher.
const RAISE: &str = r"
for i = 1, #KEYS do
  local current = redis.call('GET', KEYS[i])
  if not current or (tonumber(current) or 0) < tonumber(ARGV[i]) then
    redis.call('SET', KEYS[i], ARGV[i])
  end
end
return 1";

/// Attempts for a raise before leaving it to the next sync.
const RAISE_ATTEMPTS: u32 = 2;

/// A decision cache in Redis.
#[derive(Clone)]
pub struct RedisCache {
    connection: ConnectionManager,
    prefix: Arc<str>,
    ttl: Duration,
    timeout: Duration,
    lookup: Arc<redis::Script>,
    raise: Arc<redis::Script>,
}

impl RedisCache {
    /// A cache on `url` for the data `identity` (connected lazily, so Portier starts while
    /// Redis is down).
    pub fn new(
        url: &str,
        prefix: &str,
        identity: &str,
        ttl: Duration,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(RedisCache {
            connection,
            prefix: format!("{prefix}{identity}:").into(),
            ttl,
            timeout,
            lookup: Arc::new(redis::Script::new(LOOKUP)),
            raise: Arc::new(redis::Script::new(RAISE)),
        })
    }

    /// Whether Redis answers a `PING` now.
    pub async fn ping(&self) -> bool {
        let mut connection = self.connection.clone();
        self.bounded(async move {
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        })
        .await
        .is_some()
    }

    /// The current revisions of `subjects` and the decision stored under `key`, in one round
    /// trip; `None` when Redis cannot tell (then nothing is cached or served).
    pub(super) async fn lookup(
        &self,
        key: &CacheKey,
        subjects: Subjects<'_>,
    ) -> Option<(Revisions, Option<Cached>)> {
        let mut invocation = self.lookup.prepare_invoke();
        for name in self.revision_keys(subjects) {
            invocation.key(name);
        }
        invocation.key(self.decision_key(key));
        let mut connection = self.connection.clone();
        let found: Vec<Option<String>> = self
            .bounded(async move { invocation.invoke_async(&mut connection).await })
            .await?;
        let (stored, counters) = found.split_last()?;
        let revisions = revisions_from(subjects, counters)?;
        let cached = stored
            .as_deref()
            .and_then(|text| serde_json::from_str::<Stored<Verdict>>(text).ok())
            .map(|stored| Cached {
                verdict: Arc::new(stored.verdict),
                revisions: stored.revisions,
                valid_until: stored.valid_until,
            });
        Some((revisions, cached))
    }

    /// Stores a verdict for the TTL, or less when it stops being valid sooner.
    pub(super) async fn put(&self, key: &CacheKey, cached: &Cached, now: i64) {
        let stored = Stored {
            verdict: cached.verdict.as_ref(),
            revisions: cached.revisions,
            valid_until: cached.valid_until,
        };
        let Ok(text) = serde_json::to_string(&stored) else {
            return;
        };
        let mut connection = self.connection.clone();
        let name = self.decision_key(key);
        let ttl_ms = u64::try_from(self.ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let ttl_ms = cached
            .remaining_ms(now)
            .map_or(ttl_ms, |left| left.clamp(1, ttl_ms));
        let _: Option<()> = self
            .bounded(async move { connection.pset_ex(name, text, ttl_ms).await })
            .await;
    }

    /// Raises revision counters (and, from the sync, the watermark) to the revisions given;
    /// `false` when Redis did not take it.
    pub(super) async fn raise(&self, raised: &[(Revisioned, u64)], watermark: Option<u64>) -> bool {
        for attempt in 0..RAISE_ATTEMPTS {
            let mut invocation = self.raise.prepare_invoke();
            for (subject, revision) in raised {
                invocation.key(self.revision_key(subject)).arg(*revision);
            }
            if let Some(watermark) = watermark {
                invocation.key(self.watermark_key()).arg(watermark);
            }
            let mut connection = self.connection.clone();
            let done: Option<i64> = self
                .bounded(async move { invocation.invoke_async(&mut connection).await })
                .await;
            if done.is_some() {
                return true;
            }
            if attempt + 1 < RAISE_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        false
    }

    /// The sync's watermark: `None` when Redis did not answer, `Some(None)` when unset.
    pub(super) async fn watermark(&self) -> Option<Option<u64>> {
        let mut connection = self.connection.clone();
        let name = self.watermark_key();
        let text: Option<String> = self
            .bounded(async move { connection.get(name).await })
            .await?;
        Some(text.and_then(|t| t.parse().ok()))
    }

    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "redis call failed");
                None
            }
            Err(_) => {
                tracing::debug!("redis call timed out");
                None
            }
        }
    }

    fn watermark_key(&self) -> String {
        format!("{}rev:seen", self.prefix)
    }

    fn revision_key(&self, subject: &Revisioned) -> String {
        match subject {
            Revisioned::User(id) => self.counter("u", id),
            Revisioned::Account(id) => self.counter("a", id),
            Revisioned::ApiKey(id) => self.counter("k", id),
            Revisioned::Agent(id) => self.counter("g", id),
        }
    }

    fn revision_keys(&self, subjects: Subjects<'_>) -> Vec<String> {
        let account = subjects.account.map(|id| self.counter("a", id));
        let kind = match subjects.kind {
            PrincipalKind::User => "u",
            PrincipalKind::ApiKey => "k",
            PrincipalKind::Agent => "g",
        };
        std::iter::once(self.counter(kind, subjects.principal))
            .chain(account)
            .collect()
    }

    /// The revision counter of a user (`u`), an account (`a`), an API key (`k`) or an agent
    /// (`g`).
    fn counter(&self, kind: &str, id: &str) -> String {
        format!("{}rev:{kind}:{id}", self.prefix)
    }

    fn decision_key(&self, key: &CacheKey) -> String {
        let digest = Sha256::digest(key.as_bytes());
        format!("{}d:{}", self.prefix, hex::encode(digest))
    }
}

/// Revisions from the counters read for `subjects` (absent counters are 0); `None` when one
/// is not a number (then the cache is not trusted).
fn revisions_from(subjects: Subjects<'_>, counters: &[Option<String>]) -> Option<Revisions> {
    let counter = |i: usize| -> Option<u64> {
        match counters.get(i)? {
            Some(text) => text.parse().ok(),
            None => Some(0),
        }
    };
    Some(Revisions {
        user: counter(0)?,
        account: match subjects.account {
            Some(_) => Some(counter(1)?),
            None => None,
        },
    })
}

/// A decision as Redis stores it (JSON): the verdict's fields, the revisions it was
/// computed under, and when it stops holding.
#[derive(Serialize, Deserialize)]
struct Stored<V> {
    #[serde(flatten)]
    verdict: V,
    revisions: Revisions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_until: Option<i64>,
}
