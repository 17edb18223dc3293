//! Micro-benchmarks of one check against the shipped policies: Cedar evaluation with the
//! per-request entities already built (the floor), building those entities, parsing the
//! body, AuthZEN's context filter at one key and at the key limit, reading the facts from a
//! SQLite file, and the whole pipeline fresh and cached — for a user and, beside it, for an
//! API key asking the same (its ratio to the user's row is the cost of a key: its own facts
//! and its creator's, and the key policies).
//! Run: `cargo bench --bench check`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use cedar_policy::Request;
use criterion::{criterion_group, criterion_main, Criterion};
use portier::app::check::{Api, Checker};
use portier::authz::context::{declared_only, MAX_CONTEXT_KEYS};
use portier::authz::{self, build_entities, CheckBody, Consistency};
use portier::cache::{DecisionCache, MemoryCache, SyncSettings};
use portier::domain::{Actor, Email, Name, Networks, Role, Roles, Session};
use portier::store::{
    Authorized, MembershipChange, NewAccount, NewApiKey, NewUser, ResourceLookup, Store,
};
use serde_json::json;

/// The key the benchmarks ask for, created by the owner with the billing grant.
const KEY: &str = "0190a1b2-0000-7000-8000-00000000be4c";

fn body(principal: &str) -> CheckBody {
    serde_json::from_value(json!({
        "principal": principal, "action": "payInvoice",
        "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"
    }))
    .unwrap()
}

fn benchmarks(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bundle = authz::load(&root.join("policies"), &root.join("schemas")).unwrap();
    let store = runtime.block_on(async {
        let store = Store::open(&format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ))
        .await
        .unwrap();
        for id in ["olivia", "bill"] {
            let user = NewUser {
                id: id.parse().unwrap(),
                email: Email::try_from(format!("{id}@example.com")).unwrap(),
                display_name: Name::try_from(id.to_owned()).unwrap(),
                notification_email: None,
                status: None,
            };
            let _ = store.create_user(&Authorized::staff(), user).await.unwrap();
        }
        let account = NewAccount {
            id: "acct-1".parse().unwrap(),
            name: Name::try_from("Acme".to_owned()).unwrap(),
            owner: "olivia".parse().unwrap(),
        };
        let _ = store
            .create_account(&Authorized::staff(), account)
            .await
            .unwrap();
        let (acct, bill) = ("acct-1".parse().unwrap(), "bill".parse().unwrap());
        let _ = store
            .put_member(
                &Authorized::staff(),
                &acct,
                &bill,
                MembershipChange {
                    role: Role::Member,
                    grants: vec!["billing".to_owned()],
                    roles: Vec::new(),
                    expires_at: None,
                },
                &Roles::new(),
            )
            .await
            .unwrap();
        let olivia = Authorized::new(
            Actor::User("olivia".parse().unwrap(), Session::default()),
            None,
        );
        let key = NewApiKey {
            name: Name::try_from("export".to_owned()).unwrap(),
            grants: vec!["billing".to_owned()],
            expires_at: None,
            allowed_ips: Networks::default(),
        };
        let _ = store
            .create_api_key(&olivia, &acct, &KEY.parse().unwrap(), &key, "bench")
            .await
            .unwrap();
        store
    });

    let request = bundle.parse_check(body("bill")).unwrap();
    let facts = runtime
        .block_on(store.check_facts(
            Some(&"bill".parse().unwrap()),
            request.account.as_ref(),
            ResourceLookup::Nothing,
        ))
        .unwrap();
    let entities = build_entities(&bundle, &request, &facts).unwrap();
    let cedar = Request::new(
        request.principal_uid.clone(),
        request.action.clone(),
        request.resource.clone(),
        request.context.clone(),
        Some(bundle.schema()),
    )
    .unwrap();
    assert!(bundle.evaluate(&cedar, &entities).allow);

    c.bench_function("cedar evaluate (entities built)", |b| {
        b.iter(|| bundle.evaluate(&cedar, &entities))
    });
    c.bench_function("build entities from facts", |b| {
        b.iter(|| build_entities(&bundle, &request, &facts).unwrap())
    });
    // AuthZEN drops undeclared context keys in one pass: compare a context at the key limit
    // with a one-key one (the ratio is the cost of 255 hash lookups and one map, not Cedar).
    let narrow = json!({"mfa": true}).as_object().cloned().unwrap();
    let mut wide = narrow.clone();
    wide.extend((1..MAX_CONTEXT_KEYS).map(|i| (format!("k{i}"), json!(i))));
    c.bench_function("AuthZEN context filter, 1 key", |b| {
        b.iter(|| declared_only(&bundle, "payInvoice", &narrow))
    });
    c.bench_function("AuthZEN context filter, 256 keys", |b| {
        b.iter(|| declared_only(&bundle, "payInvoice", &wide))
    });
    c.bench_function("parse check body", |b| {
        b.iter(|| bundle.parse_check(body("bill")).unwrap())
    });
    c.bench_function("read facts (SQLite)", |b| {
        b.iter(|| {
            runtime
                .block_on(store.check_facts(
                    Some(&"bill".parse().unwrap()),
                    request.account.as_ref(),
                    ResourceLookup::Nothing,
                ))
                .unwrap()
        })
    });

    let cache = DecisionCache::memory(
        MemoryCache::new(64 << 20, Duration::from_secs(300)),
        SyncSettings::default(),
    );
    let checker = Checker::new(
        store.clone(),
        cache,
        Arc::new(ArcSwap::from_pointee(bundle)),
    );
    let live = checker.bundle();
    let mut fresh = live.parse_check(body("bill")).unwrap();
    fresh.consistency = Consistency::Fresh;
    c.bench_function("whole check, fresh (SQLite)", |b| {
        b.iter(|| {
            runtime
                .block_on(checker.decide(&live, &fresh, Api::Check))
                .unwrap()
        })
    });
    let key = format!("ApiKey::\"{KEY}\"");
    let mut fresh_key = live.parse_check(body(&key)).unwrap();
    fresh_key.consistency = Consistency::Fresh;
    assert!(runtime
        .block_on(checker.decide(&live, &fresh_key, Api::Check))
        .unwrap()
        .is_allow());
    c.bench_function("whole check by an API key, fresh (SQLite)", |b| {
        b.iter(|| {
            runtime
                .block_on(checker.decide(&live, &fresh_key, Api::Check))
                .unwrap()
        })
    });
    let cached = live.parse_check(body("bill")).unwrap();
    let cached_key = live.parse_check(body(&key)).unwrap();
    // As the server's sync task does, so the cache may be served from.
    let _sync = {
        let _entered = runtime.enter();
        checker.spawn_revision_sync()
    };
    runtime.block_on(checker.sync_revisions()).unwrap();
    runtime
        .block_on(checker.decide(&live, &cached, Api::Check))
        .unwrap();
    c.bench_function("whole check, cached (in-process)", |b| {
        b.iter(|| {
            runtime
                .block_on(checker.decide(&live, &cached, Api::Check))
                .unwrap()
        })
    });
    runtime
        .block_on(checker.decide(&live, &cached_key, Api::Check))
        .unwrap();
    c.bench_function("whole check by an API key, cached (in-process)", |b| {
        b.iter(|| {
            runtime
                .block_on(checker.decide(&live, &cached_key, Api::Check))
                .unwrap()
        })
    });
    // A new invoice every time, as a portal's checks go: the decision cache misses, the facts
    // (a user's, or a key's and its creator's) and the verdict over them are remembered.
    for (name, principal) in [("by a user", &cached), ("by an API key", &cached_key)] {
        let mut n = 0u64;
        c.bench_function(
            &format!("whole check {name}, new invoice each time (in-process)"),
            |b| {
                b.iter(|| {
                    n += 1;
                    let mut request = principal.clone();
                    request.resource = portier::app::check::uid(
                        request.resource.type_name(),
                        &format!("inv-{name}-{n}"),
                    );
                    runtime
                        .block_on(checker.decide(&live, &request, Api::Check))
                        .unwrap()
                })
            },
        );
    }
    // A key's check over the same check by a user, interleaved: fresh, cached, new invoice.
    let fresh_ratio = interleaved_ratio(
        &runtime,
        &checker,
        &live,
        || fresh.clone(),
        || fresh_key.clone(),
    );
    let cached_ratio = interleaved_ratio(
        &runtime,
        &checker,
        &live,
        || cached.clone(),
        || cached_key.clone(),
    );
    let mut n = 0u64;
    let mut new_invoice = |of: &portier::authz::CheckRequest| {
        n += 1;
        let mut request = of.clone();
        request.resource =
            portier::app::check::uid(request.resource.type_name(), &format!("ratio-{n}"));
        request
    };
    let miss_ratio = {
        let new_invoice = std::cell::RefCell::new(&mut new_invoice);
        interleaved_ratio(
            &runtime,
            &checker,
            &live,
            || (new_invoice.borrow_mut())(&cached),
            || (new_invoice.borrow_mut())(&cached_key),
        )
    };
    eprintln!(
        "API key / user, interleaved: fresh {fresh_ratio:.3}, cached {cached_ratio:.3}, new invoice {miss_ratio:.3}"
    );
}

/// The cost of `key` checks over that of `user` checks, measured interleaved (rounds of each,
/// alternating which goes first) so that a shared machine's drift weighs on both alike: the
/// figure the rows above cannot give, as criterion measures one row after another.
fn interleaved_ratio(
    runtime: &tokio::runtime::Runtime,
    checker: &Checker,
    bundle: &portier::authz::PolicyBundle,
    mut user: impl FnMut() -> portier::authz::CheckRequest,
    mut key: impl FnMut() -> portier::authz::CheckRequest,
) -> f64 {
    let time = |next: &mut dyn FnMut() -> portier::authz::CheckRequest| {
        let requests: Vec<_> = (0..200).map(|_| next()).collect();
        let started = std::time::Instant::now();
        for request in &requests {
            runtime
                .block_on(checker.decide(bundle, request, Api::Check))
                .unwrap();
        }
        started.elapsed().as_secs_f64()
    };
    let (mut users, mut keys) = (0.0, 0.0);
    for round in 0..300 {
        if round % 2 == 0 {
            users += time(&mut user);
            keys += time(&mut key);
        } else {
            keys += time(&mut key);
            users += time(&mut user);
        }
    }
    keys / users
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benchmarks
}
criterion_main!(benches);
