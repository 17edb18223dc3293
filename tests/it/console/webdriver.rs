//! Headless Chromium for the browser test, through `fantoccini` (a WebDriver client): starts
//! `chromedriver` on a free local port, opens a session with a fresh profile, and on
//! [`Browser::close`] (or on drop, when a test fails first) ends the session and stops the
//! driver. Every wait is bounded: each WebDriver command gets at most a minute.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The longest one WebDriver command may take.
const COMMAND: Duration = Duration::from_secs(60);
/// The longest the driver may take to listen, and a selector to match.
const READY: Duration = Duration::from_secs(20);
/// The longest ending the session may take before the driver is stopped anyway.
const CLOSE: Duration = Duration::from_secs(10);

pub struct Browser {
    /// `None` once the session has been ended.
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    listener.local_addr().expect("address").port()
}

/// `command`'s result, or a panic naming `what` if it fails or takes longer than [`COMMAND`].
async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    command: impl Future<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(COMMAND, command).await {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => panic!("webdriver {what}: {error}"),
        Err(_) => panic!("webdriver {what}: no answer within {} s", COMMAND.as_secs()),
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium `width` × `height` pixels wide.
    pub async fn start(width: u32, height: u32) -> Browser {
        assert!(
            std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists(),
            "the browser test needs Debian's chromium and chromium-driver (.ci/services.sh installs them)"
        );
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut browser = Browser {
            client: None,
            driver,
            _profile: tempfile::tempdir().expect("profile dir"),
        };
        browser.wait_for_driver(port).await;
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("capabilities are an object")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let url = format!("http://127.0.0.1:{port}");
        browser.client = Some(bounded("new session", builder.connect(&url)).await);
        browser
    }

    /// Waits (at most [`READY`]) until the driver accepts connections on `port`.
    async fn wait_for_driver(&mut self, port: u16) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + READY;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited before listening: {status}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "chromedriver did not listen on port {port} within {} s",
            READY.as_secs()
        );
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("an open session")
    }

    pub async fn goto(&self, url: &str) {
        bounded("goto", self.client().goto(url)).await;
    }

    /// Runs a script in the page with `args` (a JSON array) and returns its result.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        let Value::Array(args) = args else {
            panic!("script arguments are an array: {args}")
        };
        bounded("execute", self.client().execute(script, args)).await
    }

    /// The first element matching `css`, if any.
    pub async fn find(&self, css: &str) -> Option<Element> {
        let found = bounded("find", self.client().find_all(Locator::Css(css))).await;
        found.into_iter().next()
    }

    /// Waits (at most [`READY`]) until an element matches `css`.
    pub async fn wait(&self, css: &str) -> Element {
        let deadline = Instant::now() + READY;
        while Instant::now() < deadline {
            if let Some(element) = self.find(css).await {
                return element;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let status = self
            .script(
                "return document.getElementById('status')?.textContent",
                json!([]),
            )
            .await;
        panic!(
            "no element matched {css} within {} s (page status: {status})",
            READY.as_secs()
        );
    }

    pub async fn click(&self, element: &Element) {
        bounded("click", element.click()).await;
    }

    pub async fn clear(&self, element: &Element) {
        bounded("clear", element.clear()).await;
    }

    pub async fn type_text(&self, element: &Element, text: &str) {
        bounded("send keys", element.send_keys(text)).await;
    }

    pub async fn text(&self, element: &Element) -> String {
        bounded("text", element.text()).await
    }

    pub async fn resize(&self, width: u32, height: u32) {
        bounded("resize", self.client().set_window_size(width, height)).await;
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        bounded("screenshot", self.client().screenshot()).await
    }

    /// Ends the session (closing Chromium), then stops the driver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = tokio::time::timeout(CLOSE, client.close()).await;
        }
        self.stop_driver();
    }

    fn stop_driver(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    /// When [`Browser::close`] was not reached (a failed assertion): ends the session if the
    /// runtime lets this thread wait for it (a multi-threaded one), then stops the driver.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                    tokio::task::block_in_place(|| {
                        let _ = runtime.block_on(tokio::time::timeout(CLOSE, client.close()));
                    });
                }
            }
        }
        self.stop_driver();
    }
}
