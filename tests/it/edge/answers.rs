//! What the edge says back: a `405` names the methods its `Allow` header lists, a request id
//! is echoed only when it is short and plain, and an audit cursor that is not an event id is
//! a `400` naming it.

use reqwest::Method;

use super::get;
use super::raw::exchange;
use crate::common::{client_area, TestApp, ADMIN_TOKEN, CHECK_TOKEN};

/// The value of the header `name` in a raw answer's head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn a_405_lists_the_methods_of_its_allow_header() {
    let app = TestApp::spawn().await;
    let admin = format!("Authorization: Bearer {ADMIN_TOKEN}\r\n");
    let check = format!("Authorization: Bearer {CHECK_TOKEN}\r\n");
    for (method, path, token) in [
        ("POST", "/console", ""),
        ("DELETE", "/healthz", ""),
        ("GET", "/v1/check", check.as_str()),
        ("POST", "/v1/users/mia", admin.as_str()),
        ("PUT", "/v1/console/explain", admin.as_str()),
    ] {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: portier\r\nConnection: close\r\nContent-Length: 0\r\n{token}\r\n"
        );
        let reply = exchange(&app.base, request.as_bytes()).await;
        assert_eq!(
            (reply.status, reply.code(), reply.field()),
            (405, "method_not_allowed", "method"),
            "{method} {path}: {reply:?}"
        );
        let allow = header(&reply.head, "allow").expect("an Allow header");
        assert!(!allow.is_empty(), "{method} {path}: {}", reply.head);
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert_eq!(
            message,
            format!("{method} is not allowed here; allowed: {allow}"),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_request_id_is_echoed_only_when_short_and_plain() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(5000);
    let latin1 = b"X-Request-Id: caf\xe9-\xff\xfe\r\n".to_vec();
    for extra in [format!("X-Request-Id: {long}\r\n").into_bytes(), latin1] {
        let mut request =
            b"GET /healthz HTTP/1.1\r\nHost: portier\r\nConnection: close\r\n".to_vec();
        request.extend_from_slice(&extra);
        request.extend_from_slice(b"\r\n");
        let reply = exchange(&app.base, &request).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let id = header(&reply.head, "x-request-id").expect("a request id");
        assert!(id.len() <= 128, "an id of {} bytes was echoed", id.len());
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "not a generated id: {id:?}"
        );
    }
    for sent in ["meta-1", "req.2024-05-01:abc_DEF", &"b".repeat(128)] {
        let reply = exchange(
            &app.base,
            &get("/healthz", &format!("X-Request-Id: {sent}\r\n")),
        )
        .await;
        assert_eq!(header(&reply.head, "x-request-id"), Some(sent), "{reply:?}");
    }
    for refused in ["has space", "semi;colon", "<script>", &"c".repeat(129)] {
        let reply = exchange(
            &app.base,
            &get("/healthz", &format!("X-Request-Id: {refused}\r\n")),
        )
        .await;
        let id = header(&reply.head, "x-request-id").expect("a request id");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{refused:?} gave {id:?}");
    }
}

#[tokio::test]
async fn an_audit_cursor_that_is_not_an_event_id_is_a_400() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    for path in ["/v1/accounts/acct-1/audit", "/v1/users/bill/audit"] {
        for query in [
            "before=zzz",
            "before=",
            "before=00000000-0000-0000-0000-00000000000g",
            "before=%00",
        ] {
            let reply = app
                .staff(Method::GET, &format!("{path}?{query}"), None)
                .await;
            assert_eq!(
                (reply.status, reply.field()),
                (400, "before"),
                "{path}?{query}: {:?}",
                reply.body
            );
        }
        for query in ["limit=abc", "limit=", "limit=0", "limit=201", "limit=1e3"] {
            let reply = app
                .staff(Method::GET, &format!("{path}?{query}"), None)
                .await;
            assert_eq!(
                (reply.status, reply.field()),
                (400, "limit"),
                "{path}?{query}: {:?}",
                reply.body
            );
        }
        let first = app
            .staff(Method::GET, &format!("{path}?limit=1"), None)
            .await;
        assert_eq!(first.status, 200, "{:?}", first.body);
        let cursor = first.body["next_before"].as_str().expect("a next page");
        let upper = cursor.to_ascii_uppercase();
        for before in [cursor, upper.as_str()] {
            let next = app
                .staff(Method::GET, &format!("{path}?before={before}"), None)
                .await;
            assert_eq!(next.status, 200, "{:?}", next.body);
            let events = next.body["events"].as_array().expect("events");
            assert!(
                events.iter().all(|e| e["id"].as_str() < Some(cursor)),
                "a page goes on from its cursor: {events:?}"
            );
        }
    }
}
