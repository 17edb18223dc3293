//! Several replicas over one PostgreSQL and one Redis: the decision cache is shared, a write
//! on one replica is never answered stale by another, and faults fail closed.

mod agents;
mod roles;
mod trust;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::proxy::Proxy;
use crate::common::{test_redis, Options, TestApp, TestDatabase, CHECK_TOKEN, GRANTS};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::json;

const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];

/// What the policies should answer, from the facts the test set.
#[derive(Clone, Default)]
struct Member {
    active: bool,
    role: Option<&'static str>,
    grants: BTreeSet<&'static str>,
}

impl Member {
    fn expects(&self, action: &str) -> bool {
        if !self.active {
            return false;
        }
        let has = |g: &str| self.grants.contains(g);
        match (self.role, action) {
            (None, _) => false,
            (Some("admin"), "inviteUser") => false,
            (Some("admin"), _) => true,
            (_, "payInvoice") => has("billing"),
            (_, "viewService") => has("services") || has("services-view"),
            (_, "viewServicePassword") => has("services") && has("passwords"),
            (_, "placeOrder") => has("orders"),
            (_, "inviteUser") => false,
            (_, "viewAccount") => true,
            (_, other) => panic!("no model for {other}"),
        }
    }
}

const ACTIONS: [(&str, (&str, &str)); 6] = [
    ("payInvoice", ("Invoice", "inv-1")),
    ("viewService", ("Service", "svc-1")),
    ("viewServicePassword", ("Service", "svc-1")),
    ("placeOrder", ("Account", "acct")),
    ("inviteUser", ("Account", "acct")),
    ("viewAccount", ("Account", "acct")),
];

/// A server with the client area on `database` reached through a proxy the test can cut or
/// stall, waiting at most `timeout` for the database.
async fn behind_proxy(database: &TestDatabase, timeout: Duration) -> (TestApp, Proxy) {
    let server: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxy = Proxy::start(server).await;
    let mut options = Options::new(&database.via(proxy.addr));
    options.database_timeout = timeout;
    let app = TestApp::start(&options).await;
    crate::common::client_area(&app).await;
    (app, proxy)
}

async fn replica(database_url: &str, redis: &(String, String)) -> TestApp {
    let mut options = Options::new(database_url);
    options.redis = Some(redis.clone());
    TestApp::start(&options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_answer_stale_after_a_write() {
    let database = TestDatabase::postgres().await;
    let redis = test_redis();
    let replicas = [
        replica(&database.url, &redis).await,
        replica(&database.url, &redis).await,
    ];
    replicas[0].user("owner").await;
    for user in USERS {
        replicas[0].user(user).await;
    }
    replicas[0].account("acct", "owner").await;

    let mut model: Vec<Member> = vec![
        Member {
            active: true,
            ..Member::default()
        };
        USERS.len()
    ];
    let mut rng = StdRng::seed_from_u64(0x5eed_2026);
    let rounds = 2000;
    let (mut answers, mut stale, mut cached) = (0u32, 0u32, 0u32);
    for round in 0..rounds {
        let who = rng.random_range(0..USERS.len());
        let (action, resource) = ACTIONS[rng.random_range(0..ACTIONS.len())];
        // Warm both replicas' view of this check, so a missed invalidation would show.
        for app in &replicas {
            app.check(USERS[who], action, resource, "acct").await;
        }
        let writer = &replicas[rng.random_range(0..2)];
        let user = USERS[who];
        match rng.random_range(0..10) {
            0..=4 => {
                let grants: Vec<&str> = GRANTS
                    .iter()
                    .copied()
                    .filter(|_| rng.random_bool(0.5))
                    .collect();
                let reply = writer
                    .acting(
                        "owner",
                        Method::PUT,
                        &format!("/v1/accounts/acct/members/{user}"),
                        Some(json!({"role": "member", "grants": grants})),
                    )
                    .await;
                assert_eq!(reply.status, 200, "round {round}: {:?}", reply.body);
                model[who].role = Some("member");
                model[who].grants = grants.into_iter().collect();
            }
            5 => {
                let reply = writer
                    .acting(
                        "owner",
                        Method::PUT,
                        &format!("/v1/accounts/acct/members/{user}"),
                        Some(json!({"role": "admin"})),
                    )
                    .await;
                assert_eq!(reply.status, 200, "round {round}: {:?}", reply.body);
                model[who].role = Some("admin");
                model[who].grants.clear();
            }
            6 | 7 => {
                let reply = writer
                    .acting(
                        "owner",
                        Method::DELETE,
                        &format!("/v1/accounts/acct/members/{user}"),
                        None,
                    )
                    .await;
                let expected = if model[who].role.is_some() { 204 } else { 404 };
                assert_eq!(reply.status, expected, "round {round}: {:?}", reply.body);
                model[who].role = None;
                model[who].grants.clear();
            }
            _ => {
                let verb = if model[who].active {
                    "suspend"
                } else {
                    "activate"
                };
                let reply = writer
                    .staff(Method::POST, &format!("/v1/users/{user}/{verb}"), None)
                    .await;
                assert_eq!(reply.status, 200, "round {round}: {:?}", reply.body);
                model[who].active = !model[who].active;
            }
        }
        let other = rng.random_range(0..USERS.len());
        let (other_action, other_resource) = ACTIONS[rng.random_range(0..ACTIONS.len())];
        for app in &replicas {
            for (index, action, resource) in [
                (who, action, resource),
                (other, other_action, other_resource),
            ] {
                let decision = app.check(USERS[index], action, resource, "acct").await;
                answers += 1;
                cached += u32::from(decision["cached"] == true);
                let allowed = decision["decision"] == "allow";
                if allowed != model[index].expects(action) {
                    stale += 1;
                    eprintln!(
                        "round {round}: {} {action} answered {decision} on {}",
                        USERS[index], app.base
                    );
                }
            }
        }
    }
    eprintln!("stale-answer test: {rounds} rounds, {answers} checked answers after writes, {cached} from cache, {stale} stale");
    assert_eq!(stale, 0, "stale answers");
    assert!(cached > 0, "the shared cache was never used");
}

#[tokio::test]
async fn cache_hits_misses_after_a_write_and_fresh_bypasses() {
    let database = TestDatabase::postgres().await;
    let redis = test_redis();
    let [a, b] = [
        replica(&database.url, &redis).await,
        replica(&database.url, &redis).await,
    ];
    crate::common::client_area(&a).await;
    let first = a
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        (first["decision"].as_str(), first["cached"].as_bool()),
        (Some("allow"), Some(false))
    );
    let shared = b
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        shared["cached"], true,
        "the other replica finds the decision in Redis"
    );
    assert_eq!(shared["reasons"], json!(["grant-billing"]));
    let fresh = b
        .check_body(json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "consistency": "fresh"}))
        .await;
    assert_eq!(fresh.body["cached"], false);
    assert_eq!(
        a.acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/bill",
            Some(json!({"role": "member", "grants": []}))
        )
        .await
        .status,
        200
    );
    let after = b
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        (after["decision"].as_str(), after["cached"].as_bool()),
        (Some("deny"), Some(false))
    );
    let ready = b.send(Method::GET, "/readyz", None, None, None).await;
    assert_eq!(ready.body["cache"], "ok");
}

/// A redis-server of the test's own on a free port, so the test can stop and restart it.
struct OwnRedis {
    port: u16,
    child: std::process::Child,
}

impl OwnRedis {
    fn start(port: u16) -> OwnRedis {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on PATH (.ci/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        OwnRedis { port, child }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn redis_down_means_no_cache_not_wrong_answers_and_recovery_is_automatic() {
    let database = TestDatabase::postgres().await;
    let mut redis = OwnRedis::start(free_port());
    let url = (
        format!("redis://127.0.0.1:{}", redis.port),
        "portier:".to_owned(),
    );
    let app = replica(&database.url, &url).await;
    crate::common::client_area(&app).await;
    app.check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        app.check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await["cached"],
        true
    );

    redis.stop();
    let started = Instant::now();
    let during = app
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        (during["decision"].as_str(), during["cached"].as_bool()),
        (Some("allow"), Some(false))
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a dead Redis must not hang checks"
    );
    let revoke = app
        .acting(
            "olivia",
            Method::DELETE,
            "/v1/accounts/acct-1/members/bill",
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "writes go on without Redis");
    assert!(
        !app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
    let ready = app.send(Method::GET, "/readyz", None, None, None).await;
    assert_eq!(
        (ready.status, ready.body["cache"].as_str()),
        (200, Some("unavailable"))
    );

    let _redis = OwnRedis::start(redis.port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let decision = app
            .check("olivia", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await;
        assert_eq!(decision["decision"], "allow");
        if decision["cached"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "the cache never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );
}

#[tokio::test]
async fn a_write_whose_invalidation_is_delayed_reaches_other_replicas_once_redis_is_back() {
    let database = TestDatabase::postgres().await;
    let redis = OwnRedis::start(free_port());
    let redis_addr: SocketAddr = format!("127.0.0.1:{}", redis.port).parse().unwrap();
    let proxy = Proxy::start(redis_addr).await;
    let prefix = "portier:".to_owned();
    let writer = replica(
        &database.url,
        &(format!("redis://{}", proxy.addr), prefix.clone()),
    )
    .await;
    let reader = replica(&database.url, &(format!("redis://{}", redis_addr), prefix)).await;
    crate::common::client_area(&writer).await;
    assert!(
        reader
            .allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await
    );

    proxy.cut();
    assert_eq!(
        writer
            .acting(
                "olivia",
                Method::DELETE,
                "/v1/accounts/acct-1/members/bill",
                None
            )
            .await
            .status,
        204
    );
    assert!(
        !writer
            .allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await,
        "the writer never reads past its own write"
    );
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(5);
    while reader
        .allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await
    {
        assert!(
            Instant::now() < deadline,
            "the delayed invalidation never landed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn database_unreachable_answers_503_never_allow_and_recovers() {
    let database = TestDatabase::postgres().await;
    let (app, proxy) = behind_proxy(&database, Duration::from_millis(500)).await;
    let fresh = json!({"principal": "olivia", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "consistency": "fresh"});
    assert_eq!(
        app.check_body(fresh.clone()).await.body["decision"],
        "allow"
    );

    proxy.cut();
    for _ in 0..3 {
        let reply = app.check_body(fresh.clone()).await;
        assert_eq!(reply.status, 503, "{:?}", reply.body);
        assert_eq!(reply.body["error"]["code"], "unavailable");
        assert!(reply.body.get("decision").is_none());
    }
    let batch = app
        .send(
            Method::POST,
            "/v1/check/batch",
            Some(CHECK_TOKEN),
            None,
            Some(json!({"checks": [fresh.clone()]})),
        )
        .await;
    assert_eq!(batch.status, 503);
    assert_eq!(
        app.staff(Method::POST, "/v1/users/mia/suspend", None)
            .await
            .status,
        503
    );
    assert_eq!(
        app.send(Method::GET, "/readyz", None, None, None)
            .await
            .status,
        503
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = app.check_body(fresh.clone()).await;
        if reply.status == 200 {
            assert_eq!(reply.body["decision"], "allow");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never recovered: {:?}",
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.send(Method::GET, "/readyz", None, None, None)
            .await
            .status,
        200
    );
}
