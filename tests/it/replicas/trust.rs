//! What replicas must never do, whatever fails around them: undo an acknowledged write
//! (Redis away while the writer dies), answer from another deployment's data (one Redis
//! shared), wait on a silent database, or turn a lost connection into a `500`.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use super::{behind_proxy, free_port, replica, OwnRedis};
use crate::common::served::Served;
use crate::common::{test_redis, Options, TestApp, TestDatabase, ADMIN_TOKEN, CHECK_TOKEN};

/// `method path` on a served process with the admin token, as `actor` when given.
async fn call(
    served: &Served,
    method: Method,
    path: &str,
    actor: Option<&str>,
    body: Option<Value>,
) -> u16 {
    let mut request = served
        .client
        .request(method, format!("{}{path}", served.base))
        .bearer_auth(ADMIN_TOKEN)
        .timeout(Duration::from_secs(10));
    if let Some(actor) = actor {
        request = request.header("X-Portier-Actor", actor);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request").status().as_u16()
}

/// Bill's `payInvoice` on a served process: (decision, cached).
async fn bill_pays(served: &Served) -> (String, bool) {
    let body = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1"});
    let reply: Value = served
        .client
        .post(format!("{}/v1/check", served.base))
        .bearer_auth(CHECK_TOKEN)
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("check")
        .json()
        .await
        .expect("json");
    (
        reply["decision"].as_str().unwrap_or("error").to_owned(),
        reply["cached"].as_bool().unwrap_or(false),
    )
}

/// Two replicas on one PostgreSQL and one Redis; the reader holds a cached allow. Redis is
/// paused while the writer revokes (acknowledged), and the writer is killed before Redis
/// comes back: the reader must learn the revocation from the database, within its bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_survives_a_redis_pause_and_the_writer_killed() {
    let database = TestDatabase::postgres().await;
    let redis = OwnRedis::start(free_port());
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let args = ["--redis-url", url.as_str(), "--cache-ttl-secs", "120"];
    let mut writer = Served::start(&database.url, &args).await;
    let reader = Served::start(&database.url, &args).await;
    for id in ["olivia", "bill"] {
        let user = json!({"id": id, "email": format!("{id}@example.com"), "display_name": id});
        assert_eq!(
            call(&writer, Method::POST, "/v1/users", None, Some(user)).await,
            201
        );
    }
    let account = json!({"id": "acct-1", "name": "Acme", "owner": "olivia"});
    assert_eq!(
        call(&writer, Method::POST, "/v1/accounts", None, Some(account)).await,
        201
    );
    let member = json!({"role": "member", "grants": ["billing"]});
    let path = "/v1/accounts/acct-1/members/bill";
    assert_eq!(
        call(&writer, Method::PUT, path, Some("olivia"), Some(member)).await,
        200
    );
    bill_pays(&reader).await;
    assert_eq!(bill_pays(&reader).await, ("allow".to_owned(), true));

    let client = redis::Client::open(url.as_str()).unwrap();
    let mut pauser = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1500)
        .arg("ALL")
        .query_async(&mut pauser)
        .await
        .unwrap();
    let paused = Instant::now();
    assert_eq!(
        call(&writer, Method::DELETE, path, Some("olivia"), None).await,
        204
    );
    let acknowledged = Instant::now();
    writer.kill();
    assert!(
        paused.elapsed() < Duration::from_millis(1500),
        "the write outlasted the pause"
    );

    // The bound the README promises: 4 × PORTIER_CACHE_SYNC_MS (1 s), past Redis's return.
    let promised = paused + Duration::from_millis(1500) + Duration::from_millis(1500);
    let mut stale_after_bound = Vec::new();
    while acknowledged.elapsed() < Duration::from_secs(5) {
        let (decision, cached) = bill_pays(&reader).await;
        if decision == "allow" && Instant::now() > promised {
            stale_after_bound.push((acknowledged.elapsed(), cached));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        stale_after_bound.is_empty(),
        "allows after the revocation was acknowledged: {stale_after_bound:?}"
    );
    assert_eq!(bill_pays(&reader).await.0, "deny");
}

/// Two deployments with their own databases and the same policies share one Redis with
/// the same prefix: neither ever answers from the other's decisions.
#[tokio::test]
async fn deployments_sharing_a_redis_never_share_decisions() {
    let redis = test_redis();
    let (x_db, y_db) = (TestDatabase::create().await, TestDatabase::create().await);
    let x = replica(&x_db.url, &redis).await;
    let y = replica(&y_db.url, &redis).await;
    crate::common::client_area(&x).await;
    x.check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    let warm = x
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        (warm["decision"].as_str(), warm["cached"].as_bool()),
        (Some("allow"), Some(true))
    );
    let other = y
        .check("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
        .await;
    assert_eq!(
        (other["decision"].as_str(), other["cached"].as_bool()),
        (Some("deny"), Some(false)),
        "Y has no bill: {other}"
    );
}

/// Through a proxy that stops forwarding but keeps both sockets open, a fresh check (and a
/// write) answers `503` within about the database timeout, and checks work again once the
/// proxy forwards again... on new connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_database_answers_503_within_the_timeout() {
    let database = TestDatabase::postgres().await;
    let (app, proxy) = behind_proxy(&database, Duration::from_millis(1000)).await;
    let fresh = json!({"principal": "olivia", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "consistency": "fresh"});
    assert_eq!(
        app.check_body(fresh.clone()).await.body["decision"],
        "allow"
    );

    proxy.stall();
    for _ in 0..2 {
        let started = Instant::now();
        let reply = app.check_body(fresh.clone()).await;
        assert_eq!(reply.status, 503, "{:?}", reply.body);
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "waited {:?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    let write = app.staff(Method::POST, "/v1/users/mia/suspend", None).await;
    assert_eq!(write.status, 503, "{:?}", write.body);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "waited {:?}",
        started.elapsed()
    );
    let mut cached = fresh.clone();
    cached.as_object_mut().unwrap().remove("consistency");
    let reply = app.check_body(cached).await;
    assert_eq!(
        reply.status, 503,
        "no cache is served once the sync cannot confirm it: {:?}",
        reply.body
    );
}

/// PostgreSQL backends terminated under load: every answer is a decision or a `503`, never
/// a `500`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_backends_answer_503_never_500() {
    let database = TestDatabase::postgres().await;
    let app = TestApp::start(&Options::new(&database.url)).await;
    crate::common::client_area(&app).await;
    let name = database.url.rsplit('/').next().unwrap().to_owned();
    let server = database.url.rsplit_once('/').unwrap().0.to_owned();
    let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    let killer = tokio::spawn(async move {
        for _ in 0..40 {
            let _ = sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()")
                .bind(&name)
                .execute(&admin)
                .await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let fresh = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1", "consistency": "fresh"});
    let mut statuses = std::collections::BTreeMap::new();
    while !killer.is_finished() {
        let check = app.check_body(fresh.clone()).await;
        if check.status == 200 {
            assert_eq!(check.body["decision"], "allow", "{:?}", check.body);
        }
        *statuses.entry(check.status).or_insert(0) += 1;
        let write = app
            .acting(
                "olivia",
                Method::PUT,
                "/v1/accounts/acct-1/members/bill",
                Some(json!({"role": "member", "grants": ["billing"]})),
            )
            .await;
        *statuses.entry(write.status).or_insert(0) += 1;
    }
    assert!(
        statuses.keys().all(|s| [200, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains_key(&200), "{statuses:?}");
}
