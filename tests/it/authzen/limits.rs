//! Request size: a context past the key limit is a `400` naming its field (in the native
//! check, in an evaluation, in a batch item and as a batch default), undeclared keys under
//! the limit are dropped while declared ones decide, and requests at the limits leave the
//! other callers answered promptly.

use std::time::{Duration, Instant};

use super::*;

/// A context with `n` undeclared keys (and `mfa` when `mfa` is set).
fn wide_context(n: usize, mfa: Option<bool>) -> Value {
    let mut context: serde_json::Map<String, Value> =
        (0..n).map(|i| (format!("k{i}"), json!(i))).collect();
    if let Some(mfa) = mfa {
        context.insert("mfa".into(), json!(mfa));
    }
    Value::Object(context)
}

pub async fn contexts_past_the_key_limit_are_refused_naming_the_field(h: &Hosting) {
    let app = &h.app;
    let mut one = ask(
        user("bill"),
        "payInvoice",
        of_account("invoice", "inv-1", "acct-1"),
    );
    one["context"] = wide_context(257, None);
    let reply = evaluate(app, one.clone()).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "context"),
        "{}",
        reply.body
    );

    let defaults = json!({"subject": user("bill"), "action": {"name": "payInvoice"},
        "context": wide_context(300, None),
        "evaluations": [{"resource": of_account("invoice", "inv-1", "acct-1")}]});
    let reply = post(app, "/access/v1/evaluations", defaults).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "context"),
        "{}",
        reply.body
    );

    let items = json!({"subject": user("bill"), "action": {"name": "payInvoice"},
        "evaluations": [{"resource": of_account("invoice", "inv-1", "acct-1")},
                        {"resource": of_account("invoice", "inv-2", "acct-1"), "context": wide_context(300, None)}]});
    let reply = post(app, "/access/v1/evaluations", items).await;
    assert_eq!(
        reply.body["evaluations"][0]["decision"], true,
        "{}",
        reply.body
    );
    let item = &reply.body["evaluations"][1];
    assert_eq!(item["decision"], false, "{}", reply.body);
    assert_eq!(
        item["context"]["error"]["field"], "evaluations[1].context",
        "{}",
        reply.body
    );

    let search = json!({"subject": {"type": "user"}, "action": {"name": "payInvoice"},
        "resource": of_account("invoice", "inv-1", "acct-1"), "context": wide_context(300, None)});
    let reply = post(app, "/access/v1/search/subject", search).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "context"),
        "{}",
        reply.body
    );

    let native = json!({"principal": "bill", "action": "payInvoice",
        "resource": {"type": "Invoice", "id": "inv-1"}, "account": "acct-1",
        "context": wide_context(257, Some(true))});
    let reply = app.check_body(native).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "context"),
        "{:?}",
        reply.body
    );
}

pub async fn undeclared_keys_under_the_limit_are_dropped(h: &Hosting) {
    let app = &h.app;
    let mut one = ask(
        user("bill"),
        "payInvoice",
        of_account("invoice", "inv-1", "acct-1"),
    );
    one["context"] = wide_context(255, Some(true));
    assert!(
        decision(app, one.clone()).await,
        "undeclared keys are ignored"
    );
    one["context"] = wide_context(255, None);
    one["context"]["mfa"] = json!("yes");
    let reply = evaluate(app, one).await;
    assert_eq!(
        (reply.status, reply.field()),
        (400, "context"),
        "a declared key is typed"
    );
}

/// Two batches at every limit at once (100 items, 256 context keys each) while a plain
/// check is asked: it is answered promptly, and the batches are answered too.
pub async fn requests_at_the_limits_leave_others_answered(h: &Hosting) {
    let items: Vec<Value> = (0..100)
        .map(|i| {
            json!({"resource": of_account("invoice", &format!("inv-{i}"), "acct-1"),
                   "context": wide_context(256, None)})
        })
        .collect();
    let heavy =
        json!({"subject": user("bill"), "action": {"name": "payInvoice"}, "evaluations": items});
    let batches: Vec<_> = (0..2)
        .map(|_| {
            let (base, body) = (h.app.base.clone(), heavy.to_string());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{base}/access/v1/evaluations"))
                    .bearer_auth(CHECK_TOKEN)
                    .header("content-type", "application/json")
                    .body(body)
                    .timeout(Duration::from_secs(60))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let started = Instant::now();
    let plain = h
        .app
        .check("olivia", "viewAccount", ("Account", "acct-1"), "acct-1")
        .await;
    let waited = started.elapsed();
    assert_eq!(plain["decision"], "allow");
    // A generous bound: before, one such pair of batches held a plain check for 40 s.
    assert!(
        waited < Duration::from_secs(5),
        "a plain check waited {waited:?}"
    );
    for batch in batches {
        assert_eq!(batch.await.unwrap().expect("batch answered"), 200);
    }
}
