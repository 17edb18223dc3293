//! The decision log: every decision, whichever API asked, is one `portier::decision` event
//! with the same fields. Events are captured in this process by a subscriber layer; tests in
//! this binary run in parallel, so each keeps only the events of its own principal.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use reqwest::Method;
use serde_json::{json, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::common::{uuid_like, TestApp, CHECK_TOKEN};

/// One captured event: field name → value as written.
type Fields = BTreeMap<String, String>;

/// Every field of a decision event, whichever API wrote it.
const FIELDS: [&str; 12] = [
    "account",
    "action",
    "api",
    "cached",
    "decision",
    "decision_id",
    "evaluated",
    "latency_us",
    "policy_revision",
    "principal",
    "reasons",
    "resource",
];

struct Capture;

struct Record<'a>(&'a mut Fields);

impl Visit for Record<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "portier::decision" {
            let mut fields = Fields::new();
            event.record(&mut Record(&mut fields));
            captured().lock().unwrap().push(fields);
        }
    }
}

fn captured() -> &'static Mutex<Vec<Fields>> {
    static EVENTS: Mutex<Vec<Fields>> = Mutex::new(Vec::new());
    &EVENTS
}

/// Installs the capturing subscriber for the whole process, once.
fn capture() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let installed = *INSTALLED.get_or_init(|| {
        let filter = tracing_subscriber::filter::Targets::new()
            .with_target("portier::decision", tracing::Level::INFO);
        let subscriber = tracing_subscriber::registry().with(filter).with(Capture);
        tracing::subscriber::set_global_default(subscriber).is_ok()
    });
    assert!(
        installed,
        "another subscriber is installed (TEST_LOG?): the decision log cannot be captured"
    );
}

/// The captured events whose principal is the user `id`.
fn events_of(id: &str) -> Vec<Fields> {
    let principal = format!("User::\"{id}\"");
    captured()
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.get("principal").is_some_and(|p| p.ends_with(&principal)))
        .cloned()
        .collect()
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let reply = app
        .send(Method::POST, path, Some(CHECK_TOKEN), None, Some(body))
        .await;
    assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
    reply.body
}

/// A user who owns an account, both with ids no other test uses.
async fn owner(app: &TestApp) -> (String, String) {
    let unique = uuid_like();
    let (user, account) = (format!("log-user-{unique}"), format!("log-acct-{unique}"));
    app.user(&user).await;
    app.account(&account, &user).await;
    (user, account)
}

#[tokio::test]
async fn every_api_writes_one_decision_event_with_the_same_fields() {
    capture();
    let app = TestApp::spawn().await;
    let (user, account) = owner(&app).await;
    let native = |action: &str, ty: &str, id: &str| json!({"principal": user, "action": action, "resource": {"type": ty, "id": id}, "account": account});

    let check = post(&app, "/v1/check", native("payInvoice", "Invoice", "inv-1")).await;
    let batch = json!({"checks": [
        native("payInvoice", "Invoice", "inv-2"),
        native("viewServicePassword", "Service", "svc-1"),
        native("placeOrder", "Account", &account),
    ]});
    post(&app, "/v1/check/batch", batch).await;
    let allowed = post(
        &app,
        "/v1/allowed-actions",
        json!({"principal": user, "resource": {"type": "Account", "id": account}}),
    )
    .await;
    let subject = json!({"type": "user", "id": user});
    let invoice = json!({"type": "invoice", "id": "inv-3", "properties": {"account": account}});
    let evaluation =
        json!({"subject": subject, "action": {"name": "payInvoice"}, "resource": invoice});
    post(&app, "/access/v1/evaluation", evaluation).await;
    let on_account = json!({"subject": subject, "action": {"name": "viewAccount"},
        "resource": {"type": "account", "id": account}});
    post(&app, "/access/v1/evaluation", on_account).await;

    // 1 check + 3 batch items + 1 allowed-actions call + 2 evaluations.
    let events = events_of(&user);
    assert_eq!(events.len(), 7, "{events:#?}");
    for event in &events {
        let names: Vec<&str> = event.keys().map(String::as_str).collect();
        assert_eq!(names, FIELDS, "{event:?}");
        assert!(!event["action"].contains("Action::"), "{event:?}");
        assert_eq!(event["account"], account, "{event:?}");
        assert_eq!(event["principal"], events[0]["principal"], "{event:?}");
    }
    let apis: Vec<&str> = events.iter().map(|e| e["api"].as_str()).collect();
    let count = |api: &str| apis.iter().filter(|a| **a == api).count();
    assert_eq!(
        [
            count("check"),
            count("batch"),
            count("allowed-actions"),
            count("authzen-evaluation")
        ],
        [1, 3, 1, 2],
        "{apis:?}"
    );
    let the_check = events.iter().find(|e| e["api"] == "check").unwrap();
    assert_eq!(
        the_check["decision_id"],
        check["decision_id"].as_str().unwrap()
    );
    assert_eq!(the_check["action"], "payInvoice");
    assert_eq!(the_check["decision"], "allow");
    let authzen_pay = events
        .iter()
        .find(|e| e["api"] == "authzen-evaluation" && e["action"] == "payInvoice");
    assert!(authzen_pay.is_some(), "{events:#?}");
    let listed: Vec<&str> = allowed["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let the_list = events
        .iter()
        .find(|e| e["api"] == "allowed-actions")
        .unwrap();
    assert_eq!(the_list["action"], listed.join(","));
    assert_ne!(the_list["evaluated"], "1", "{the_list:?}");
}

#[tokio::test]
async fn a_search_writes_one_event_counting_its_candidates() {
    capture();
    let app = TestApp::spawn().await;
    let (user, account) = owner(&app).await;
    let search = json!({"subject": {"type": "user", "id": user},
        "action": {"name": "viewAccount"}, "resource": {"type": "account"}});
    let found = post(&app, "/access/v1/search/resource", search).await;
    assert_eq!(
        found["results"],
        json!([{"type": "account", "id": account}])
    );

    let events = events_of(&user);
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    let names: Vec<&str> = event.keys().map(String::as_str).collect();
    assert_eq!(names, FIELDS);
    assert_eq!(event["api"], "authzen-search-resource");
    assert_eq!(event["action"], "viewAccount");
    assert_eq!(event["evaluated"], "1");
    assert_eq!(event["decision"], "allow");
}
