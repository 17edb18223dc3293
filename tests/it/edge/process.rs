//! The `portier` binary itself: token settings refused or accepted at start-up, and running
//! out of file descriptors (under `ulimit -n`) without a hot loop.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::common::repo_path;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `portier`, killed when dropped.
struct Child(std::process::Child);

impl Child {
    fn try_wait(&mut self) -> Option<ExitStatus> {
        self.0.try_wait().expect("child status")
    }

    /// Its exit status, once it exits within `limit`.
    async fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(exit) = self.try_wait() {
                return Some(exit);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `portier serve` on a fresh SQLite file with only `env` set, stderr to `log`; under
/// `ulimit -n <nofile>` when given.
fn portier(dir: &Path, port: u16, env: &[(&str, &str)], nofile: Option<u32>) -> Child {
    let binary = env!("CARGO_BIN_EXE_portier");
    let mut command = match nofile {
        Some(n) => {
            let mut sh = Command::new("/bin/sh");
            sh.arg("-c")
                .arg(format!("ulimit -n {n} && exec \"$0\" serve"))
                .arg(binary);
            sh
        }
        None => {
            let mut direct = Command::new(binary);
            direct.arg("serve");
            direct
        }
    };
    command
        .env_clear()
        .env("PORTIER_BIND", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("portier.db").display()),
        )
        .env("PORTIER_POLICIES", repo_path("policies"))
        .env("PORTIER_SCHEMAS", repo_path("schemas"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap());
    Child(command.spawn().expect("start portier"))
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default()
}

/// The status of `GET path` with `token`, or `None` when no answer came within `limit`.
async fn status(port: u16, path: &str, token: &str, limit: Duration) -> Option<u16> {
    let client = reqwest::Client::builder().timeout(limit).build().unwrap();
    let request = client.get(format!("http://127.0.0.1:{port}{path}"));
    let request = if token.is_empty() {
        request
    } else {
        request.header("authorization", token)
    };
    request.send().await.ok().map(|r| r.status().as_u16())
}

async fn wait_until_up(port: u16, child: &mut Child, dir: &Path) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Some(exit) = child.try_wait() {
            panic!("portier exited with {exit}: {}", log(dir));
        }
        if status(port, "/healthz", "", Duration::from_millis(500)).await == Some(200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("portier did not come up: {}", log(dir));
}

#[tokio::test]
async fn token_mistakes_stop_the_server_with_a_clear_message() {
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("PORTIER_ADMIN_TOKEN", "x")],
            "admin token #1: is 1 characters long",
        ),
        (
            &[("PORTIER_ADMIN_TOKEN", " padded-admin-token-1 ")],
            "admin token #1: has white space around it",
        ),
        (
            &[
                ("PORTIER_ADMIN_TOKEN", "shared-token-0000001"),
                ("PORTIER_CHECK_TOKEN", "shared-token-0000001"),
            ],
            "the same token is configured for the admin and the check scope",
        ),
        (
            &[
                ("PORTIER_ADMIN_TOKEN", "admin-token-00000001"),
                ("PORTIER_CHECK_TOKENS", "check-token-00000001,short"),
            ],
            "check token #2: is 5 characters long",
        ),
        (
            &[("PORTIER_ADMIN_TOKEN", "admin token 00000001")],
            "admin token #1: must be visible ASCII",
        ),
    ];
    for (env, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut child = portier(dir.path(), free_port(), env, None);
        let exit = child
            .wait(Duration::from_secs(20))
            .await
            .expect("portier stops");
        let text = log(dir.path());
        assert!(!exit.success(), "started with {env:?}");
        assert!(
            text.contains(message),
            "{env:?}: expected {message:?} in {text}"
        );
        for (_, value) in env {
            assert!(
                value.len() < 6 || !text.contains(value.trim()),
                "the message shows a token: {text}"
            );
        }
    }
}

#[tokio::test]
async fn several_tokens_per_scope_all_work() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = [
        ("PORTIER_ADMIN_TOKEN", "rotation-admin-old-1"),
        (
            "PORTIER_ADMIN_TOKENS",
            "rotation-admin-new-1,rotation-admin-new-2",
        ),
        (
            "PORTIER_CHECK_TOKEN",
            "rotation-check-old-1,rotation-check-new-1",
        ),
    ];
    let mut child = portier(dir.path(), port, &env, None);
    wait_until_up(port, &mut child, dir.path()).await;
    let limit = Duration::from_secs(5);
    for admin in [
        "rotation-admin-old-1",
        "rotation-admin-new-1",
        "rotation-admin-new-2",
    ] {
        assert_eq!(
            status(port, "/v1/users/nobody", &format!("Bearer {admin}"), limit).await,
            Some(404),
            "{admin}"
        );
    }
    for check in ["rotation-check-old-1", "rotation-check-new-1"] {
        assert_eq!(
            status(port, "/v1/users/nobody", &format!("bearer {check}"), limit).await,
            Some(403),
            "{check}"
        );
        assert_eq!(
            status(port, "/metrics", &format!("bearer {check}"), limit).await,
            Some(200),
            "{check}"
        );
    }
    assert_eq!(
        status(port, "/metrics", "Bearer rotation-admin-old-2", limit).await,
        Some(401)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_out_of_file_descriptors_is_survived_without_a_hot_loop() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = [
        ("PORTIER_ADMIN_TOKEN", "emfile-admin-token-1"),
        ("PORTIER_HEADER_TIMEOUT_MS", "1000"),
        ("PORTIER_MAX_CONNECTIONS", "1000"),
    ];
    let mut child = portier(dir.path(), port, &env, Some(64));
    wait_until_up(port, &mut child, dir.path()).await;

    // Far more silent connections than descriptors: the server runs out of them.
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(
            TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect (backlog)"),
        );
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let errors = log(dir.path()).matches("accept error").count();
    assert!(
        errors >= 1,
        "the descriptors never ran out: {}",
        log(dir.path())
    );
    assert!(
        errors <= 5,
        "{errors} accept errors logged in 2.5 s: {}",
        log(dir.path())
    );

    // The silent connections time out, descriptors come back, and the server answers.
    let started = Instant::now();
    let mut answered = None;
    while started.elapsed() < Duration::from_secs(20) && answered.is_none() {
        answered = status(port, "/healthz", "", Duration::from_secs(2)).await;
    }
    assert_eq!(
        answered,
        Some(200),
        "/healthz after running out of descriptors: {}",
        log(dir.path())
    );
    println!(
        "answered {:?} after the burst; {errors} accept errors logged",
        started.elapsed()
    );
    drop(silent);
    drop(child);
}

#[tokio::test]
async fn a_clean_stop_leaves_no_wal_behind_and_logs_to_a_file_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = [
        ("PORTIER_ADMIN_TOKEN", "shutdown-admin-token-1"),
        ("RUST_LOG", "info"),
    ];
    let mut child = portier(dir.path(), port, &env, None);
    wait_until_up(port, &mut child, dir.path()).await;
    // A write (the pool's connection) and a check (the read-only connections) first.
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let created = client
        .post(format!("{base}/v1/users"))
        .bearer_auth("shutdown-admin-token-1")
        .json(&serde_json::json!({"id": "ann", "email": "ann@example.com", "display_name": "Ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let checked = client
        .post(format!("{base}/v1/check"))
        .bearer_auth("shutdown-admin-token-1")
        .json(&serde_json::json!({"principal": "ann", "action": "viewUser", "resource": {"type": "User", "id": "ann"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(checked.status(), 200);
    assert!(
        dir.path().join("portier.db-wal").exists(),
        "WAL mode is on while serving"
    );

    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let exit = child
        .wait(Duration::from_secs(20))
        .await
        .expect("portier stops on SIGTERM");
    assert!(exit.success(), "{exit}: {}", log(dir.path()));
    for leftover in ["portier.db-wal", "portier.db-shm"] {
        assert!(
            !dir.path().join(leftover).exists(),
            "{leftover} stayed behind after a clean stop"
        );
    }
    let text = log(dir.path());
    assert!(text.contains("portier listening"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "colour codes in a log file: {text:?}"
    );
}
