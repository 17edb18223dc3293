//! The AuthZEN Authorization API 1.0 over real HTTP, walking every protocol check of the
//! conformance scenario's four levels (Basic, Batch, Search, Discovery) against a hosting
//! client area created through the API. Each walk runs twice: with the in-process decision
//! cache and with Redis, on the database `PORTIER_TEST_DATABASE` names (SQLite by default).

use crate::common::{
    client_area, test_redis, Options, TestApp, TestDatabase, ADMIN_TOKEN, CHECK_TOKEN,
};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

/// A server over a fresh database with the hosting fixture; the database lives as long.
struct Hosting {
    app: TestApp,
    invitation: String,
    contact: String,
    _database: TestDatabase,
}

/// The client area of `crate::common::client_area` (owner `olivia`, admin `adam`, billing-only
/// `bill`, plain `mia`; `otto` owns `acct-2`), plus: `svc-1` assigned to `mia`, `svc-2` to
/// `bill`, a pending invitation of `acct-1` for `ivy`, and a contact of `acct-1`.
async fn hosting(redis: bool) -> Hosting {
    let database = TestDatabase::create().await;
    let mut options = Options::new(&database.url);
    options.redis = redis.then(test_redis);
    let app = TestApp::start(&options).await;
    client_area(&app).await;
    app.user("ivy").await;
    for (service, assignee) in [("svc-1", "mia"), ("svc-2", "bill")] {
        let path = format!("/v1/accounts/acct-1/services/{service}");
        let body = json!({ "assignees": [assignee] });
        let reply = app.staff(Method::PUT, &path, Some(body)).await;
        assert_eq!(reply.status, 200, "assign {service}: {:?}", reply.body);
    }
    let invite = json!({"email": "ivy@example.com", "role": "member", "grants": ["billing"]});
    let invited = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/invitations",
            Some(invite),
        )
        .await;
    assert_eq!(invited.status, 201, "invite: {:?}", invited.body);
    let contact =
        json!({"name": "Accounts Dept", "email": "ap@acme.example", "preferences": ["billing"]});
    let created = app
        .staff(Method::POST, "/v1/accounts/acct-1/contacts", Some(contact))
        .await;
    assert_eq!(created.status, 201, "contact: {:?}", created.body);
    Hosting {
        invitation: invited.body["invitation"]["id"]
            .as_str()
            .expect("invitation id")
            .to_owned(),
        contact: created.body["id"].as_str().expect("contact id").to_owned(),
        app,
        _database: database,
    }
}

/// An answer with its headers.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or_default()
    }
}

/// Sends raw bytes with a content type and extra headers, with the check token.
async fn raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(CHECK_TOKEN)
        .header("content-type", content_type)
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.send().await.expect("request")).await
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

/// `POST`s JSON with the check token.
async fn post(app: &TestApp, path: &str, body: Value) -> Answer {
    raw(app, path, "application/json", &body.to_string(), &[]).await
}

async fn evaluate(app: &TestApp, body: Value) -> Answer {
    post(app, "/access/v1/evaluation", body).await
}

/// The decision of a well-formed evaluation.
async fn decision(app: &TestApp, body: Value) -> bool {
    let reply = evaluate(app, body.clone()).await;
    assert_eq!(reply.status, 200, "{body}: {}", reply.body);
    reply.body["decision"]
        .as_bool()
        .expect("a boolean decision")
}

fn user(id: &str) -> Value {
    json!({"type": "user", "id": id})
}

fn account(id: &str) -> Value {
    json!({"type": "account", "id": id})
}

fn of_account(ty: &str, id: &str, account: &str) -> Value {
    json!({"type": ty, "id": id, "properties": {"account": account}})
}

fn ask(subject: Value, action: &str, resource: Value) -> Value {
    json!({"subject": subject, "action": {"name": action}, "resource": resource})
}

/// The schema's spelling of a resource's type (`service` → `Service`), for the native API.
fn native_type(resource: &Value) -> String {
    let ty = resource["type"].as_str().unwrap();
    format!("{}{}", ty[..1].to_uppercase(), &ty[1..])
}

/// `POST /access/v1/search/{what}`.
async fn search(app: &TestApp, what: &str, body: Value) -> Answer {
    post(app, &format!("/access/v1/search/{what}"), body).await
}

/// Which users may `action` on `resource`?
fn subjects_who(action: &str, resource: Value) -> Value {
    json!({"subject": {"type": "user"}, "action": {"name": action}, "resource": resource})
}

/// Which resources of type `ty` may `who` `action`?
fn resources_of(who: &str, action: &str, ty: &str) -> Value {
    json!({"subject": user(who), "action": {"name": action}, "resource": {"type": ty}})
}

/// The ids (or names) in a search answer, in order.
fn found(reply: &Answer) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let results = reply.body["results"].as_array().expect("results array");
    results
        .iter()
        .map(|r| {
            r["id"]
                .as_str()
                .or(r["name"].as_str())
                .expect("id or name")
                .to_owned()
        })
        .collect()
}

mod basic;
mod batch;
mod discovery;
mod limits;
mod paging;
mod search;
mod transport;

/// Each walk as two tests: with the in-process cache and with Redis.
macro_rules! on_both_caches {
    ($($area:ident :: $walk:ident),* $(,)?) => {
        mod memory_cache {
            $(#[tokio::test]
            async fn $walk() {
                super::$area::$walk(&super::hosting(false).await).await;
            })*
        }
        mod redis_cache {
            $(#[tokio::test]
            async fn $walk() {
                super::$area::$walk(&super::hosting(true).await).await;
            })*
        }
    };
}

on_both_caches!(
    basic::decisions_match_the_native_check,
    basic::properties_never_override_stored_facts,
    basic::errors_are_400_naming_the_field,
    batch::defaults_merge_and_order,
    batch::semantics_and_item_errors,
    search::subjects,
    search::resources,
    search::actions,
    paging::paging_binds_the_query,
    search::errors_and_empty_results,
    discovery::metadata,
    limits::contexts_past_the_key_limit_are_refused_naming_the_field,
    limits::undeclared_keys_under_the_limit_are_dropped,
    limits::requests_at_the_limits_leave_others_answered,
    transport::headers_tokens_and_idempotency,
    transport::decisions_follow_writes_through_the_same_cache,
);

/// Fail closed: with the database unreachable, every AuthZEN route answers `503`, never a
/// decision (a batch does not turn the outage into per-item denies either), and recovers.
#[tokio::test]
async fn database_unreachable_is_503_never_a_decision() {
    let database = TestDatabase::postgres().await;
    let proxy = crate::common::proxy::Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let mut options = Options::new(&database.via(proxy.addr));
    options.database_timeout = std::time::Duration::from_millis(500);
    let app = TestApp::start(&options).await;
    client_area(&app).await;
    let pay = |invoice: &str| {
        ask(
            user("olivia"),
            "payInvoice",
            of_account("invoice", invoice, "acct-1"),
        )
    };
    assert!(decision(&app, pay("inv-1")).await);
    proxy.cut();
    let calls = [
        ("/access/v1/evaluation", pay("inv-2")),
        (
            "/access/v1/evaluations",
            json!({"evaluations": [pay("inv-3"), pay("inv-4")]}),
        ),
        (
            "/access/v1/evaluations",
            json!({"options": {"evaluations_semantic": "permit_on_first_permit"}, "evaluations": [pay("inv-5")]}),
        ),
        (
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "viewAccount"}, "resource": account("acct-1")}),
        ),
        (
            "/access/v1/search/resource",
            json!({"subject": user("olivia"), "action": {"name": "viewAccount"}, "resource": {"type": "account"}}),
        ),
        (
            "/access/v1/search/action",
            json!({"subject": user("olivia"), "resource": account("acct-1")}),
        ),
    ];
    for (path, body) in calls {
        let reply = post(&app, path, body).await;
        assert_eq!(reply.status, 503, "{path}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], "unavailable", "{path}");
        assert!(
            !reply.body.to_string().contains("\"decision\""),
            "{path}: {}",
            reply.body
        );
    }
    proxy.restore();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let reply = evaluate(&app, pay("inv-2")).await;
        if reply.status == 200 {
            assert_eq!(reply.body["decision"], json!(true));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never recovered: {}",
            reply.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
