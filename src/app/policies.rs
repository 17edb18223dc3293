//! Hot reload of the policy set: on a change under `policies/` or `schemas/` (debounced), on
//! `SIGHUP`, and on `POST /v1/admin/reload`. The whole set is loaded and strictly validated
//! off to the side; only a valid set replaces the current one, in one atomic swap, so a check
//! in flight keeps the set it started with. A failed reload leaves the old set serving and
//! is remembered for `/readyz` until a later reload succeeds.
//!
//! A set that loads is also put through the assurance guard ([`crate::assurance::assess`]):
//! its policy tests must pass and, with a solver, its invariants must be proven; otherwise it
//! is refused exactly like an invalid set.
//!
//! The watcher watches the folders themselves, not the files, so editors that write a new
//! file and rename it over the old one, and Kubernetes ConfigMap volumes that swap a `..data`
//! symlink, are both seen.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::assurance::{self, Assurance};
use crate::authz::{load, LoadError, PolicyBundle, PolicyFolders};
use crate::telemetry;

/// How long the folders must be quiet before a change is loaded.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The revision serving now.
    pub revision: String,
    /// Whether it differs from the one before.
    pub changed: bool,
}

/// The policy set in force, and how it is reloaded. Checks read it through [`Self::current`].
pub struct LivePolicies {
    folders: PolicyFolders,
    current: Arc<ArcSwap<PolicyBundle>>,
    last_error: Mutex<Option<LoadError>>,
    assurance: ArcSwap<Assurance>,
}

impl LivePolicies {
    /// `bundle` in force, reloaded from these folders. The bundle is assessed (policy tests,
    /// invariants) once here; [`Self::assurance`] tells whether it should serve.
    pub fn new(bundle: PolicyBundle, folders: PolicyFolders) -> Self {
        let assurance = assurance::assess(&bundle, &folders.policies);
        LivePolicies::with_assurance(bundle, folders, assurance)
    }

    /// `bundle` in force without assessing it: for a one-off command (`portier check`) that
    /// serves nothing, where proving the invariants would cost more than the answer.
    pub fn unassessed(bundle: PolicyBundle, folders: PolicyFolders) -> Self {
        LivePolicies::with_assurance(bundle, folders, Assurance::not_assessed())
    }

    fn with_assurance(bundle: PolicyBundle, folders: PolicyFolders, assurance: Assurance) -> Self {
        telemetry::policy_revision_changed("", bundle.revision());
        let assurance = ArcSwap::from_pointee(assurance);
        let current = Arc::new(ArcSwap::from_pointee(bundle));
        LivePolicies {
            folders,
            current,
            last_error: Mutex::new(None),
            assurance,
        }
    }

    /// What is known about the set in force: its policy tests and invariants.
    pub fn assurance(&self) -> Arc<Assurance> {
        self.assurance.load_full()
    }

    /// The swap the checker reads the set in force from.
    pub fn current(&self) -> Arc<ArcSwap<PolicyBundle>> {
        Arc::clone(&self.current)
    }

    /// Loads the folders again; swaps the new set in when it is valid.
    pub fn reload(&self) -> Result<Reloaded, LoadError> {
        // One reload at a time, so two quick edits cannot swap in out of order.
        let mut last_error = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        match self.load_assured() {
            Ok((bundle, assurance)) => {
                let before = self.current.load().revision().to_owned();
                let revision = bundle.revision().to_owned();
                let changed = revision != before;
                if changed {
                    self.current.store(Arc::new(bundle));
                    telemetry::policy_revision_changed(&before, &revision);
                    tracing::info!(from = %before, to = %revision, "policies reloaded");
                }
                self.assurance.store(Arc::new(assurance));
                *last_error = None;
                telemetry::reload_finished(true);
                Ok(Reloaded { revision, changed })
            }
            Err(err) => {
                tracing::error!(problems = ?err.problems, "policy reload refused; the previous set keeps serving");
                *last_error = Some(err.clone());
                telemetry::reload_finished(false);
                Err(err)
            }
        }
    }

    /// Loads the folders and refuses a set whose tests fail or whose invariants are violated.
    fn load_assured(&self) -> Result<(PolicyBundle, Assurance), LoadError> {
        let bundle = load(&self.folders.policies, &self.folders.schemas)?;
        let assurance = assurance::assess(&bundle, &self.folders.policies);
        if assurance.problems.is_empty() {
            Ok((bundle, assurance))
        } else {
            Err(LoadError {
                problems: assurance.problems,
            })
        }
    }

    /// The problems of the last reload, when it failed and none succeeded since.
    pub fn last_error(&self) -> Option<LoadError> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Watches both folders and reloads after each burst of changes. Keep the returned
    /// watcher alive for as long as reloading should happen.
    pub fn watch(self: &Arc<Self>) -> notify::Result<RecommendedWatcher> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|e| !matches!(e.kind, EventKind::Access(_))) {
                    let _ = tx.send(());
                }
            })?;
        watcher.watch(&self.folders.policies, RecursiveMode::NonRecursive)?;
        watcher.watch(&self.folders.schemas, RecursiveMode::NonRecursive)?;
        let live = Arc::clone(self);
        tokio::spawn(async move {
            while rx.recv().await.is_some() {
                loop {
                    match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                        Ok(Some(())) => continue,
                        Ok(None) => return,
                        Err(_quiet) => break,
                    }
                }
                let live = Arc::clone(&live);
                let _ = tokio::task::spawn_blocking(move || live.reload()).await;
            }
        });
        Ok(watcher)
    }
}
