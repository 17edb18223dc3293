//! Slow and idle clients against a server whose clocks are short: each kind is cut off on
//! time, the connection cap holds, and `/healthz` and `/v1/check` keep answering.

use std::time::{Duration, Instant};

use portier::http::ServeLimits;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::raw::{address, parse, read_one, read_to_close};
use crate::common::{client_area, Options, TestApp, TestDatabase, CHECK_TOKEN};

const CLOCK: Duration = Duration::from_millis(400);

async fn short_clocks() -> (TestApp, TestDatabase) {
    let database = TestDatabase::create().await;
    let mut options = Options::new(&database.url);
    options.limits = ServeLimits {
        header_timeout: CLOCK,
        body_timeout: CLOCK,
        idle_timeout: CLOCK,
        max_connections: 32,
        ..ServeLimits::default()
    };
    (TestApp::start(&options).await, database)
}

/// The four kinds of slow client, `n` of each: nothing sent, half a head, half a body, and
/// idle after one answer on a kept-alive connection.
async fn slow_clients(base: &str, n: usize) -> Vec<(usize, TcpStream)> {
    let mut clients = Vec::new();
    for _ in 0..n {
        let mut idle = TcpStream::connect(address(base)).await.unwrap();
        idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: p\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_one(&mut idle).await.status, 200);
        clients.push((3, idle));
    }
    let half_body = format!("POST /v1/check HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer {CHECK_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"princ");
    for i in 0..3 * n {
        let mut stream = TcpStream::connect(address(base)).await.unwrap();
        let kind = i % 3;
        match kind {
            1 => stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: p\r\nX-Slow: ")
                .await
                .unwrap(),
            2 => stream.write_all(half_body.as_bytes()).await.unwrap(),
            _ => {}
        }
        clients.push((kind, stream));
    }
    clients
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_and_the_server_keeps_answering() {
    let (app, _database) = short_clocks().await;
    client_area(&app).await;
    let clients = slow_clients(&app.base, 30).await;
    assert_eq!(clients.len(), 120, "more slow clients than the cap of 32");

    // New connections (a fresh client), so they have to wait for a free slot.
    let started = Instant::now();
    let fresh = reqwest::Client::builder()
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap();
    let health = fresh.get(format!("{}/healthz", app.base)).send().await;
    assert_eq!(
        health.map(|r| r.status().as_u16()).ok(),
        Some(200),
        "/healthz while slow clients hold connections"
    );
    let check = json!({"principal": "bill", "action": "payInvoice", "resource": {"type": "Invoice", "id": "inv-9"}, "account": "acct-1"});
    let fresh = reqwest::Client::builder()
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap();
    let decision = fresh
        .post(format!("{}/v1/check", app.base))
        .bearer_auth(CHECK_TOKEN)
        .json(&check)
        .send()
        .await;
    let decision: serde_json::Value = decision
        .expect("/v1/check while slow clients hold connections")
        .json()
        .await
        .unwrap();
    assert_eq!(decision["decision"], "allow", "{decision}");
    println!("healthz and check answered after {:?}", started.elapsed());

    for (kind, mut stream) in clients {
        let bytes = read_to_close(&mut stream, Duration::from_secs(8)).await;
        let bytes =
            bytes.unwrap_or_else(|| panic!("a slow client of kind {kind} was never cut off"));
        if kind == 2 {
            let reply = parse(&bytes).expect("an answer to the half-sent body");
            assert_eq!(
                (reply.status, reply.code(), reply.field()),
                (408, "request_timeout", "body"),
                "{reply:?}"
            );
        }
    }
    println!("all 120 slow clients cut off after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_trickled_head_is_cut_off_but_a_busy_connection_is_not() {
    let (app, _database) = short_clocks().await;
    let mut trickle = TcpStream::connect(address(&app.base)).await.unwrap();
    let started = Instant::now();
    let mut cut_off = None;
    for byte in b"GET /healthz HTTP/1.1\r\nHost: portier.example\r\nX-Trickle: aaaaaaaaaaaaaaaaaaaa"
        .iter()
        .take(30)
    {
        if trickle.write_all(&[*byte]).await.is_err() {
            cut_off = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let closed = read_to_close(&mut trickle, Duration::from_secs(3))
        .await
        .is_some();
    assert!(
        closed || cut_off.is_some(),
        "a head sent a byte every 50 ms was never cut off"
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    // Requests every 150 ms for well over every clock: the connection stays up.
    let mut busy = TcpStream::connect(address(&app.base)).await.unwrap();
    for _ in 0..12 {
        busy.write_all(b"GET /healthz HTTP/1.1\r\nHost: p\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_one(&mut busy).await.status, 200);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
