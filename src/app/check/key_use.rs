//! When each API key was last used (presented to `verify`, or allowed something in a check), written at
//! most once a minute per key and off the request's path, so keeping `last_used_at` costs a
//! check one map lookup.

use crate::domain::ApiKeyId;
use crate::store::Store;

/// When each key was last recorded as used, so `last_used_at` is written at most once a minute
/// per key, off the request's path.
#[derive(Default)]
pub struct KeyUse {
    recorded: std::sync::Mutex<std::collections::HashMap<ApiKeyId, i64>>,
}

/// How often a key's use is written, at most (Unix milliseconds).
const USE_EVERY_MS: i64 = 60_000;

/// The most keys whose last write is remembered; past it the memory starts afresh.
const REMEMBERED_KEYS: usize = 100_000;

impl KeyUse {
    /// Records that `id` was used now, unless it was recorded less than a minute ago; the
    /// write runs in the background and a failure is only logged.
    pub fn mark(&self, store: &Store, id: &ApiKeyId) {
        let now = store.now();
        {
            let mut recorded = self
                .recorded
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if recorded.get(id).is_some_and(|at| now - at < USE_EVERY_MS) {
                return;
            }
            if recorded.len() >= REMEMBERED_KEYS {
                recorded.clear();
            }
            recorded.insert(id.clone(), now);
        }
        let (store, id) = (store.clone(), id.clone());
        tokio::spawn(async move {
            if let Err(err) = store.mark_api_key_used(&id, now).await {
                tracing::warn!(api_key = %id, error = %err, "could not record an api key's use");
            }
        });
    }
}
