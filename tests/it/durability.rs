//! What survives a hard stop and a failing disk: `SIGKILL` in the middle of a burst of writes
//! (SQLite and PostgreSQL) loses nothing that was acknowledged and leaves nothing
//! half-written; a database that stops answering is given up on after
//! `--database-timeout-ms`; a SQLite file deleted or made read-only is reported, never
//! written into the void.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::proxy::Proxy;
use crate::common::served::Served;
use crate::common::{TestApp, TestDatabase};
use reqwest::Method;
use serde_json::json;

/// Eight writers add users and make them members of one account until the server is killed;
/// after a restart every acknowledged write is there with its audit row, and every row there
/// has its audit row (nothing half-written).
async fn killed_mid_burst_loses_nothing_acknowledged(database_url: &str) {
    let mut served = Served::start(database_url, &[]).await;
    let user =
        |id: &str| json!({"id": id, "email": format!("{id}@example.com"), "display_name": id});
    assert!(served
        .post("/v1/users", &user("olivia"))
        .await
        .unwrap()
        .status()
        .is_success());
    let account = json!({"id": "acct-1", "name": "Acme", "owner": "olivia"});
    assert!(served
        .post("/v1/accounts", &account)
        .await
        .unwrap()
        .status()
        .is_success());

    let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (base, acknowledged) = (served.base.clone(), Arc::clone(&acknowledged));
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for i in 0..400 {
                    let id = format!("w{w}-{i}");
                    let created = client
                        .post(format!("{base}/v1/users"))
                        .bearer_auth(crate::common::ADMIN_TOKEN)
                        .json(&user(&id))
                        .send()
                        .await;
                    if !created.is_ok_and(|r| r.status() == 201) {
                        return;
                    }
                    let member = client
                        .put(format!("{base}/v1/accounts/acct-1/members/{id}"))
                        .bearer_auth(crate::common::ADMIN_TOKEN)
                        .json(&json!({"role": "member", "grants": ["billing"]}))
                        .send()
                        .await;
                    if !member.is_ok_and(|r| r.status() == 200) {
                        return;
                    }
                    acknowledged.lock().unwrap().insert(id);
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 60 {
        assert!(Instant::now() < deadline, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    served.kill();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let served = Served::start(database_url, &[]).await;
    let members: serde_json::Value = served
        .get("/v1/accounts/acct-1/members")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let present: BTreeSet<String> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_owned())
        .filter(|id| id != "olivia")
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&present).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let unaudited_users = count(
        "select count(*) from app_user u where not exists (select 1 from audit_event e \
         where e.target = 'user:' || u.user_id and e.action = 'user.create')",
    )
    .await;
    let unaudited_members = count(
        "select count(*) from membership m where m.user_id <> 'olivia' and not exists \
         (select 1 from audit_event e where e.account_id = m.account_id \
          and e.target = 'user:' || m.user_id and e.action = 'member.add')",
    )
    .await;
    assert_eq!((unaudited_users, unaudited_members), (0, 0));
    pool.close().await;
}

#[tokio::test]
async fn sigkill_during_writes_on_sqlite_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("portier.db").display());
    killed_mid_burst_loses_nothing_acknowledged(&url).await;
}

#[tokio::test]
async fn sigkill_during_writes_on_postgres_loses_nothing_acknowledged() {
    let database = TestDatabase::postgres().await;
    killed_mid_burst_loses_nothing_acknowledged(&database.url).await;
}

#[tokio::test]
async fn the_database_timeout_setting_bounds_how_long_a_check_waits() {
    let database = TestDatabase::postgres().await;
    let proxy = Proxy::start("127.0.0.1:5432".parse::<SocketAddr>().unwrap()).await;
    let url = database.via(proxy.addr);
    let served = Served::start(&url, &["--database-timeout-ms", "400"]).await;
    let check = json!({"principal": "nobody", "action": "viewAccount", "resource": {"type": "Account", "id": "a"}, "consistency": "fresh"});
    let reply = served.post("/v1/check", &check).await.unwrap();
    assert_eq!(reply.status(), 200);

    proxy.cut();
    let started = Instant::now();
    let reply = served.post("/v1/check", &check).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(reply.status(), 503);
    assert!(
        waited < Duration::from_millis(1500),
        "answered after {waited:?} with a 400 ms setting"
    );
}

async fn readiness(app: &TestApp) -> (u16, serde_json::Value) {
    let reply = app.send(Method::GET, "/readyz", None, None, None).await;
    (reply.status, reply.body)
}

/// A server over a SQLite file of its own (in the returned folder), with one user written.
async fn sqlite_app() -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("portier.db").display());
    let app = TestApp::start(&crate::common::Options::new(&url)).await;
    app.user("olivia").await;
    (dir, app)
}

#[tokio::test]
async fn a_deleted_sqlite_file_is_reported_and_writes_are_refused() {
    let (dir, app) = sqlite_app().await;
    let path = dir.path().join("portier.db");
    assert_eq!(readiness(&app).await.0, 200);

    std::fs::remove_file(&path).unwrap();
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["database_problem"]
            .as_str()
            .unwrap()
            .contains("deleted"),
        "{body}"
    );
    let body = json!({"id": "bill", "email": "bill@example.com", "display_name": "Bill"});
    let write = app.staff(Method::POST, "/v1/users", Some(body)).await;
    assert_eq!(write.status, 503, "{:?}", write.body);
    assert!(write.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("deleted"));
}

#[tokio::test]
async fn a_read_only_sqlite_file_is_reported_and_writes_answer_503() {
    let (dir, app) = sqlite_app().await;
    let path = dir.path().join("portier.db");
    // Root ignores permission bits; the immutable attribute stops root too.
    let immutable = |flag: &str| {
        let status = std::process::Command::new("chattr")
            .arg(flag)
            .arg(&path)
            .status()
            .expect("chattr (e2fsprogs)");
        assert!(
            status.success(),
            "chattr {flag} failed on {}",
            path.display()
        );
    };
    immutable("+i");
    let (status, body) = readiness(&app).await;
    let body_text = body.to_string();
    let write = app
        .staff(
            Method::POST,
            "/v1/users",
            Some(json!({"id": "bill", "email": "bill@example.com", "display_name": "Bill"})),
        )
        .await;
    immutable("-i");
    assert_eq!(status, 503, "{body_text}");
    assert!(
        body["database_problem"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "{body_text}"
    );
    assert_eq!(write.status, 503, "{:?}", write.body);
}

/// Two servers writing to one SQLite file (a second instance started by mistake, or a CLI
/// beside the server) each hold only their own writer lock: their writes must wait for each
/// other within the database timeout, never fail because the other committed first.
#[tokio::test]
async fn two_writers_on_one_sqlite_file_wait_for_each_other_instead_of_failing() {
    let database = TestDatabase::create().await;
    let mut a = TestApp::start(&crate::common::Options::new(&database.url)).await;
    let b = TestApp::start(&crate::common::Options::new(&database.url)).await;
    crate::common::client_area(&a).await;
    let mut writes = Vec::new();
    for n in 0..40 {
        let app = if n % 2 == 0 { &a } else { &b };
        let grants = if n % 4 < 2 {
            json!(["billing"])
        } else {
            json!([])
        };
        writes.push(app.acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/members/mia",
            Some(json!({"role": "member", "grants": grants})),
        ));
    }
    let replies = futures_util::future::join_all(writes).await;
    let failed: Vec<_> = replies
        .iter()
        .filter(|r| r.status != 200)
        .map(|r| &r.body)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 40 writes failed: {failed:?}",
        failed.len()
    );
    a.shut_down(Duration::from_secs(5)).await;
}
