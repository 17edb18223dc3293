//! What an [`App`] is built from ([`AppSettings`]), how it is built ([`App::open`]), and the
//! tasks that keep a serving one current ([`App::start`]: policy watching, the expiry sweep,
//! the cache's revision sync). `serve`, the CLI commands and the tests' harness all build
//! their `App` here, so none of them wires the parts differently.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::check::Checker;
use super::policies::LivePolicies;
use super::{expiry, App, DEFAULT_INVITATION_TTL};
use crate::authz::{self, PolicyFolders};
use crate::cache::{facts, DecisionCache, FactsCache, MemoryCache, RedisCache, SyncSettings};
use crate::domain::Secret;
use crate::store::{Clock, Store};

/// Everything an [`App`] is built from.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// `sqlite://FILE` or `postgres://…`.
    pub database_url: Secret,
    /// Longest wait for a database connection before answering 503.
    pub database_timeout: Duration,
    /// Where the policies and schemas live.
    pub folders: PolicyFolders,
    /// The decision and facts caches.
    pub cache: CacheSettings,
    /// How long a new or resent invitation token stays valid.
    pub invitation_ttl: Duration,
    /// The clock time-based facts are judged by (a manual one in tests).
    pub clock: Clock,
    /// Whether the policy set is assessed (its tests run, its invariants proven) as a serving
    /// set must be; a one-off command that only decides may skip it.
    pub assess: bool,
}

/// The caches' settings.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// A Redis shared by replicas, with the key prefix and the longest wait for an answer;
    /// `None` keeps decisions in this process.
    pub redis: Option<(Secret, String, Duration)>,
    /// Byte budget of the in-process decision cache.
    pub bytes: u64,
    /// Byte budget of the facts cache.
    pub facts_bytes: u64,
    /// Largest decision entry cached, in bytes.
    pub entry_max_bytes: usize,
    /// How long a cached decision may be served at most.
    pub ttl: Duration,
    /// How often this replica syncs its caches with the revisions the database records.
    pub sync_every: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            redis: None,
            bytes: crate::cache::DEFAULT_CACHE_BYTES,
            facts_bytes: facts::DEFAULT_FACTS_BYTES,
            entry_max_bytes: crate::cache::DEFAULT_ENTRY_LIMIT,
            ttl: Duration::from_secs(300),
            sync_every: SyncSettings::default().every,
        }
    }
}

impl AppSettings {
    /// Settings over a database and policy folders, everything else at its default.
    pub fn new(database_url: Secret, folders: PolicyFolders) -> Self {
        AppSettings {
            database_url,
            database_timeout: crate::store::DEFAULT_DATABASE_TIMEOUT,
            folders,
            cache: CacheSettings::default(),
            invitation_ttl: DEFAULT_INVITATION_TTL,
            clock: Clock::default(),
            assess: true,
        }
    }
}

/// The tasks of a serving [`App`]; dropping it stops them.
pub struct Running {
    _watcher: notify::RecommendedWatcher,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl App {
    /// Loads and strictly validates the policies (an invalid set is an error, before the
    /// database is touched), opens the store (migrating it), builds the caches, then assesses
    /// the policies (policy tests, invariants: see [`LivePolicies::assurance`]), the slowest
    /// step, last.
    pub async fn open(settings: &AppSettings) -> anyhow::Result<App> {
        let folders = &settings.folders;
        let bundle = authz::load(&folders.policies, &folders.schemas)?;
        let store = Store::open_with(settings.database_url.expose(), settings.database_timeout)
            .await
            .context("opening the database")?
            .with_clock(settings.clock.clone());
        let cache = decision_cache(&settings.cache, &store)?;
        let policies = Arc::new(if settings.assess {
            LivePolicies::new(bundle, folders.clone())
        } else {
            LivePolicies::unassessed(bundle, folders.clone())
        });
        let checker = Checker::new(store, cache, policies.current())
            .with_facts_cache(FactsCache::new(settings.cache.facts_bytes));
        Ok(App::new(checker, policies, settings.invitation_ttl))
    }

    /// Starts what keeps a serving app current: one sync of the caches' revisions (as a
    /// replica must before its first answer), then the sync task, the expiry sweep and the
    /// policy watcher.
    pub async fn start(&self) -> anyhow::Result<Running> {
        if let Err(err) = self.checker().sync_revisions().await {
            tracing::warn!(error = %err, "cannot read the revisions the database records yet");
        }
        let watcher = self
            .policies()
            .watch()
            .context("watching the policy folders")?;
        Ok(Running {
            _watcher: watcher,
            tasks: vec![
                self.checker().spawn_revision_sync(),
                expiry::spawn_sweeper(self.checker().clone()),
            ],
        })
    }
}

fn decision_cache(settings: &CacheSettings, store: &Store) -> anyhow::Result<DecisionCache> {
    let sync = SyncSettings::every(settings.sync_every);
    let cache = match &settings.redis {
        Some((url, prefix, timeout)) => {
            let redis = RedisCache::new(
                url.expose(),
                prefix,
                store.identity(),
                settings.ttl,
                *timeout,
            )?;
            DecisionCache::redis(redis, sync)
        }
        None => DecisionCache::memory(MemoryCache::new(settings.bytes, settings.ttl), sync),
    };
    Ok(cache.with_entry_limit(settings.entry_max_bytes))
}
