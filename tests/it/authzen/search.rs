//! Search level: `POST /access/v1/search/{subject,resource,action}` — results the check
//! pipeline allows, ignored ids of the searched-for entity, context, paging bound to the
//! query, empty results for what Portier does not know, and 400s for missing inputs.

use super::*;

/// Scenario C-4-2: the account's owner and members the pipeline allows; `subject.id` and
/// `context` change nothing; every result is a `user`.
pub async fn subjects(h: &Hosting) {
    let app = &h.app;
    let svc1 = of_account("service", "svc-1", "acct-1");
    let plain = search(app, "subject", subjects_who("viewService", svc1.clone())).await;
    assert_eq!(found(&plain), ["adam", "mia", "olivia"]);
    assert!(plain.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["type"] == "user"));
    assert_eq!(plain.body["page"]["next_token"], "");
    let mut with_id = subjects_who("viewService", svc1.clone());
    with_id["subject"]["id"] = json!("bill");
    assert_eq!(found(&search(app, "subject", with_id).await), found(&plain));
    let mut with_context = subjects_who("viewService", svc1);
    with_context["context"] = json!({"time": "2025-06-27T18:03-07:00", "ip": "192.168.1.1"});
    assert_eq!(
        found(&search(app, "subject", with_context).await),
        found(&plain)
    );
    let everyone = search(
        app,
        "subject",
        subjects_who("viewAccount", account("acct-1")),
    )
    .await;
    assert_eq!(found(&everyone), ["adam", "bill", "mia", "olivia"]);
    let owner_only = search(
        app,
        "subject",
        subjects_who("inviteUser", account("acct-1")),
    )
    .await;
    assert_eq!(found(&owner_only), ["olivia"]);
    let own_record = search(app, "subject", subjects_who("viewUser", user("mia"))).await;
    assert_eq!(found(&own_record), ["mia"]);
}

/// Scenario C-4-3: the accounts, assigned services, invitations, contacts (and own record) a
/// user may act on; `resource.id` changes nothing; each result evaluates to `true`.
pub async fn resources(h: &Hosting) {
    let app = &h.app;
    let invitation = h.invitation.as_str();
    let contact = h.contact.as_str();
    let cases: [(&str, &str, &str, Vec<&str>); 10] = [
        ("mia", "viewService", "service", vec!["svc-1"]),
        ("bill", "viewService", "service", vec!["svc-2"]),
        ("olivia", "viewService", "service", vec!["svc-1", "svc-2"]),
        ("adam", "viewAccount", "account", vec!["acct-1"]),
        ("otto", "viewAccount", "account", vec!["acct-2"]),
        ("ivy", "acceptInvitation", "invitation", vec![invitation]),
        ("olivia", "acceptInvitation", "invitation", vec![]),
        ("olivia", "viewContacts", "contact", vec![contact]),
        ("bill", "viewContacts", "contact", vec![]),
        ("bill", "viewUser", "user", vec!["bill"]),
    ];
    for (who, action, ty, expected) in cases {
        let reply = search(app, "resource", resources_of(who, action, ty)).await;
        assert_eq!(found(&reply), expected, "{who} {action} {ty}");
        for result in reply.body["results"].as_array().unwrap() {
            assert_eq!(result["type"], ty);
            let again = ask(user(who), action, result.clone());
            assert!(decision(app, again).await, "{who} {action} {result}");
        }
    }
    let mut with_id = resources_of("olivia", "viewService", "service");
    with_id["resource"]["id"] = json!("svc-1");
    with_id["context"] = json!({"ip": "192.168.1.1"});
    assert_eq!(
        found(&search(app, "resource", with_id).await),
        ["svc-1", "svc-2"]
    );
    let services = search(
        app,
        "resource",
        resources_of("olivia", "viewService", "service"),
    )
    .await;
    assert_eq!(
        services.body["results"][0]["properties"]["account"],
        "acct-1"
    );
}

/// Scenario C-4-4: the actions the subject may do on the resource, exactly the native
/// allowed-actions.
pub async fn actions(h: &Hosting) {
    let app = &h.app;
    for (who, resource) in [
        ("bill", account("acct-1")),
        ("mia", of_account("service", "svc-1", "acct-1")),
        ("olivia", account("acct-1")),
    ] {
        let reply = search(
            app,
            "action",
            json!({"subject": user(who), "resource": resource.clone(), "context": {"time": "now"}}),
        )
        .await;
        let native_resource = json!({"type": native_type(&resource), "id": resource["id"]});
        let body = json!({"principal": who, "resource": native_resource, "account": resource["properties"]["account"]});
        let native = app.allowed_actions(body).await;
        assert_eq!(native.status, 200, "{:?}", native.body);
        assert_eq!(json!(found(&reply)), native.body["actions"], "{who}");
    }
    let bill = found(
        &search(
            app,
            "action",
            json!({"subject": user("bill"), "resource": account("acct-1")}),
        )
        .await,
    );
    assert!(
        bill.contains(&"listInvoices".to_owned()) && !bill.contains(&"placeOrder".to_owned()),
        "{bill:?}"
    );
}

/// Scenario C-4-6, C-4-7: unknown ids and types are empty results; missing inputs are 400s.
pub async fn errors_and_empty_results(h: &Hosting) {
    let app = &h.app;
    let empty = [
        (
            "action",
            json!({"subject": user("nonexistent-user"), "resource": account("acct-1")}),
        ),
        (
            "action",
            json!({"subject": user("olivia"), "resource": {"type": "spaceship", "id": "x"}}),
        ),
        (
            "action",
            json!({"subject": {"type": "robot", "id": "olivia"}, "resource": account("acct-1")}),
        ),
        (
            "subject",
            json!({"subject": {"type": "spaceship"}, "action": {"name": "viewAccount"}, "resource": account("acct-1")}),
        ),
        ("subject", subjects_who("launchRocket", account("acct-1"))),
        ("subject", subjects_who("viewAccount", account("acct-404"))),
        (
            "resource",
            resources_of("olivia", "viewAccount", "spaceship"),
        ),
        ("resource", resources_of("olivia", "payInvoice", "invoice")),
        (
            "resource",
            resources_of("nonexistent-user", "viewAccount", "account"),
        ),
        (
            "resource",
            resources_of("olivia", "launchRocket", "account"),
        ),
    ];
    for (what, body) in empty {
        let reply = search(app, what, body.clone()).await;
        assert_eq!(found(&reply), Vec::<String>::new(), "{what} {body}");
        assert_eq!(reply.body["page"]["next_token"], "");
    }
    let bad = [
        (
            "subject",
            json!({"subject": {"type": "user"}, "resource": account("acct-1")}),
            "action",
        ),
        (
            "subject",
            json!({"subject": {"type": "user"}, "action": {"name": "viewAccount"}, "resource": {"type": "account"}}),
            "resource.id",
        ),
        (
            "subject",
            subjects_who("viewService", json!({"type": "service", "id": "svc-1"})),
            "resource.properties.account",
        ),
        (
            "resource",
            json!({"action": {"name": "viewAccount"}, "resource": {"type": "account"}}),
            "subject",
        ),
        (
            "resource",
            json!({"subject": {"type": "user"}, "action": {"name": "viewAccount"}, "resource": {"type": "account"}}),
            "subject.id",
        ),
        ("action", json!({"subject": user("olivia")}), "resource"),
        (
            "action",
            json!({"subject": {"type": "user"}, "resource": account("acct-1")}),
            "subject.id",
        ),
        (
            "action",
            json!({"subject": user("olivia"), "resource": {"type": "account"}}),
            "resource.id",
        ),
        (
            "action",
            json!({"subject": user("olivia"), "resource": account("acct-1"), "page": {"limit": "ten"}}),
            "page.limit",
        ),
    ];
    for (what, body, field) in bad {
        let reply = search(app, what, body.clone()).await;
        assert_eq!(
            (reply.status, reply.field()),
            (400, field),
            "{what} {body}: {}",
            reply.body
        );
    }
    let not_json = raw(app, "/access/v1/search/action", "text/plain", "{}", &[]).await;
    assert_eq!((not_json.status, not_json.field()), (400, "Content-Type"));
}
