//! The real `portier serve` binary as a child process on 127.0.0.1, for what only a process
//! shows: its command-line settings, and being killed with `SIGKILL` in the middle of writes.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{repo_path, ADMIN_TOKEN, CHECK_TOKEN};

pub struct Served {
    pub base: String,
    pub client: reqwest::Client,
    child: Child,
}

impl Served {
    /// Starts `portier serve` on a free port over `database_url`, with `extra` arguments, and
    /// waits until it answers `/healthz`.
    pub async fn start(database_url: &str, extra: &[&str]) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bind = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_portier"))
            .args(["serve", "--bind", &bind, "--database-url", database_url])
            .args(extra)
            .current_dir(repo_path(""))
            .env("PORTIER_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("PORTIER_CHECK_TOKEN", CHECK_TOKEN)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("portier binary");
        let served = Served {
            base: format!("http://{bind}"),
            client: reqwest::Client::new(),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while served.get("/healthz").await.is_err() {
            assert!(Instant::now() < deadline, "portier did not start on {bind}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        served
    }

    /// `GET path` with the admin token.
    pub async fn get(&self, path: &str) -> reqwest::Result<reqwest::Response> {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .timeout(Duration::from_secs(10))
            .send()
            .await
    }

    /// `POST path` with the admin token and a JSON body.
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Result<reqwest::Response> {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
    }

    /// `SIGKILL`: no shutdown, no flush, no goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}
