//! The readiness protocol `deploy/portier.service` (`Type=notify`) relies on: `READY=1` once
//! the port answers, `RELOADING=1` then `READY=1` around a `SIGHUP` reload, `STOPPING=1`
//! on `SIGTERM` — over a real datagram socket, as systemd listens.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{repo_path, ADMIN_TOKEN, CHECK_TOKEN};

/// The next message on `socket` (at most 60 s away).
fn next(socket: &UnixDatagram) -> String {
    let mut buffer = [0u8; 4096];
    let n = socket
        .recv(&mut buffer)
        .expect("a message from portier within 60 s");
    String::from_utf8_lossy(&buffer[..n]).into_owned()
}

fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[test]
fn ready_once_serving_reloading_around_a_reload_stopping_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let database = format!("sqlite://{}", dir.path().join("portier.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_portier"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &database,
        ])
        .current_dir(repo_path(""))
        .env("NOTIFY_SOCKET", &path)
        .env("PORTIER_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("PORTIER_CHECK_TOKEN", CHECK_TOKEN)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    assert_eq!(next(&socket), "READY=1\n");
    let answered = std::net::TcpStream::connect(("127.0.0.1", port));
    assert!(answered.is_ok(), "ready was sent before the port listened");

    signal(child.id(), "HUP");
    let reloading = next(&socket);
    assert!(
        reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="),
        "{reloading}"
    );
    assert_eq!(next(&socket), "READY=1\n");

    signal(child.id(), "TERM");
    assert_eq!(next(&socket), "STOPPING=1\n");
    assert!(child.wait().unwrap().success());
}
