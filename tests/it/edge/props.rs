//! Property tests over HTTP: random check bodies, entity references, contexts, query
//! strings and new users against a real server. Never a 5xx, never a dropped connection;
//! every refusal is a 4xx JSON error naming a field; an id accepted on create works in every
//! form a check can name it.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{client_area, TestApp, CHECK_TOKEN};

/// Cases: `PROPTEST_CASES`, else `default`; a fixed seed unless `PROPTEST_RNG_SEED`.
fn runner(default: u32) -> TestRunner {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    TestRunner::new(Config {
        cases: env("PROPTEST_CASES").map_or(default, |c| c.min(100_000) as u32),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(9)),
        ..Config::default()
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("bill".to_owned()),
        Just("acct-1".to_owned()),
        Just("payInvoice".to_owned()),
        Just("User::\"bill\"".to_owned()),
        Just("Invoice::\"inv-9\"".to_owned()),
        Just("Nope::\"x\"".to_owned()),
        "[a-zA-Z:\"\\\\ \u{200b}\u{202e}é-]{0,12}",
        "\\PC{0,6}",
    ]
}

fn entity_ref() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::from),
        (
            prop_oneof![
                Just("User".to_owned()),
                Just("Invoice".to_owned()),
                Just("Account".to_owned()),
                text()
            ],
            text()
        )
            .prop_map(|(ty, id)| json!({"type": ty, "id": id})),
        Just(json!({"type": "User"})),
        Just(json!(42)),
        Just(json!(["bill"])),
    ]
}

fn context() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!(null)),
        Just(json!("ctx")),
        (
            text(),
            prop_oneof![
                any::<i64>().prop_map(Value::from),
                text().prop_map(Value::from),
                any::<bool>().prop_map(Value::from)
            ]
        )
            .prop_map(|(k, v)| json!({ k: v })),
    ]
}

fn check_body() -> impl Strategy<Value = Value> {
    (
        entity_ref(),
        text(),
        entity_ref(),
        prop::option::of(text()),
        prop::option::of(context()),
        prop::option::of(text()),
    )
        .prop_map(
            |(principal, action, resource, account, context, consistency)| {
                let mut body =
                    json!({"principal": principal, "action": action, "resource": resource});
                if let Some(account) = account {
                    body["account"] = json!(account);
                }
                if let Some(context) = context {
                    body["context"] = context;
                }
                if let Some(consistency) = consistency {
                    body["consistency"] = json!(consistency);
                }
                body
            },
        )
}

/// What every answer must be: a success, or a 4xx JSON error (a 400 names its field).
fn acceptable(status: u16, body: &Value) -> Result<(), TestCaseError> {
    if status < 300 {
        return Ok(());
    }
    prop_assert!((400..500).contains(&status), "status {status}: {body}");
    prop_assert!(
        body["error"]["code"].is_string(),
        "not the JSON error: {body}"
    );
    if status == 400 {
        prop_assert!(
            body["error"]["field"]
                .as_str()
                .is_some_and(|f| !f.is_empty()),
            "no field: {body}"
        );
    }
    Ok(())
}

#[test]
fn random_requests_answer_a_decision_or_a_4xx_naming_a_field() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(async {
        let app = TestApp::spawn().await;
        client_area(&app).await;
        app
    });
    let routes = prop_oneof![
        Just("/v1/check"),
        Just("/v1/allowed-actions"),
        Just("/v1/check/batch")
    ];
    runner(128)
        .run(&(routes, check_body()), |(route, body)| {
            let body = match route {
                "/v1/check/batch" => json!({"checks": [body]}),
                "/v1/allowed-actions" => {
                    let mut b = body;
                    b.as_object_mut().map(|o| o.remove("action"));
                    b
                }
                _ => body,
            };
            let reply = runtime.block_on(app.send(
                Method::POST,
                route,
                Some(CHECK_TOKEN),
                None,
                Some(body.clone()),
            ));
            acceptable(reply.status, &reply.body)
                .map_err(|e| TestCaseError::fail(format!("{route} {body}: {e}")))
        })
        .unwrap();

    runner(64)
        .run(
            &(
                "([a-z]{0,7}(=[a-zA-Z0-9%+=]{0,6})?&?){0,3}",
                prop::sample::select(vec!["audit", "recipients"]),
            ),
            |(query, route)| {
                let path = format!("/v1/accounts/acct-1/{route}?{query}");
                let reply = runtime.block_on(app.staff(Method::GET, &path, None));
                acceptable(reply.status, &reply.body)
            },
        )
        .unwrap();

    runner(64)
        .run(&(text(), text(), text()), |(id, email, name)| {
            let body = json!({"id": id, "email": format!("{email}@example.com"), "display_name": name});
            let reply = runtime.block_on(app.staff(Method::POST, "/v1/users", Some(body)));
            acceptable(reply.status, &reply.body)?;
            if reply.status == 201 {
                let forms = [json!(id), json!(format!("User::\"{id}\"")), json!({"type": "User", "id": id})];
                for principal in forms {
                    let check = json!({"principal": principal, "action": "viewAccount", "resource": {"type": "Account", "id": "acct-1"}});
                    let answer = runtime.block_on(app.check_body(check));
                    prop_assert_eq!(answer.status, 200, "{} created but {}: {}", id, principal, answer.body);
                }
            }
            Ok(())
        })
        .unwrap();
}
