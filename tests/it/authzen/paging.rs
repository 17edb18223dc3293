//! Search paging (scenario C-4-5): `page.limit`, `next_token` until `""`, and tokens bound
//! to their query.

use super::*;

/// Scenario C-4-5: `page.limit`, `next_token` until `""`, count and total; a later page must
/// send the same query (its limit may be left out); a changed one is a `400`.
pub async fn paging_binds_the_query(h: &Hosting) {
    let app = &h.app;
    let query = subjects_who("viewAccount", account("acct-1"));
    let mut walked = Vec::new();
    let mut body = query.clone();
    body["page"] = json!({"limit": 3});
    let mut pages = 0;
    for _ in 0..10 {
        let reply = search(app, "subject", body.clone()).await;
        walked.extend(found(&reply));
        pages += 1;
        assert_eq!(reply.body["page"]["total"], 4);
        let next = reply.body["page"]["next_token"]
            .as_str()
            .expect("next_token string")
            .to_owned();
        if next.is_empty() {
            assert_eq!(reply.body["page"]["count"], 1);
            break;
        }
        assert_eq!(reply.body["page"]["count"], 3);
        body["page"] = json!({ "token": next });
    }
    assert_eq!(
        (pages, walked),
        (
            2,
            vec!["adam", "bill", "mia", "olivia"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        )
    );
    let mut first = query.clone();
    first["page"] = json!({"limit": 1});
    let first = search(app, "subject", first).await;
    assert_eq!(found(&first), ["adam"]);
    let token = first.body["page"]["next_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!token.is_empty());
    let mut same = query.clone();
    same["page"] = json!({"token": token, "limit": 1});
    assert_eq!(found(&search(app, "subject", same).await), ["bill"]);
    let mut changed = subjects_who("listInvoices", account("acct-1"));
    changed["page"] = json!({ "token": token });
    let mut relimited = query.clone();
    relimited["page"] = json!({"token": token, "limit": 2});
    let mut forged = query.clone();
    forged["page"] = json!({"token": "a3M9NDU2O3N6PTI="});
    let mut elsewhere = resources_of("olivia", "viewAccount", "account");
    elsewhere["page"] = json!({ "token": token });
    for (what, body) in [
        ("subject", changed),
        ("subject", relimited),
        ("subject", forged),
        ("resource", elsewhere),
    ] {
        let reply = search(app, what, body.clone()).await;
        assert_eq!(
            (reply.status, reply.field()),
            (400, "page.token"),
            "{body}: {}",
            reply.body
        );
    }
    let mut negative = query.clone();
    negative["page"] = json!({"limit": -1});
    assert_eq!(search(app, "subject", negative).await.status, 400);
    let mut all = query;
    all["page"] = json!({"limit": 0, "properties": {"sort": "id"}});
    assert_eq!(found(&search(app, "subject", all).await).len(), 4);
}
