//! The command line as its help describes it: `portier migrate` creates a missing PostgreSQL
//! database, a folder that cannot be read is named by the path that was tried, and an error
//! says each of its causes once.

use std::process::Command;

use crate::common::TestDatabase;

fn portier(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portier"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run portier")
}

#[test]
fn a_folder_that_cannot_be_read_is_named_by_the_path_tried() {
    let dir = tempfile::tempdir().unwrap();
    let output = portier(&["validate"], dir.path());
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    let tried = dir.path().join("schemas");
    assert!(
        text.contains(&tried.display().to_string()),
        "the error does not name {}: {text}",
        tried.display()
    );
}

#[tokio::test]
async fn migrate_creates_a_missing_postgres_database_once() {
    let database = TestDatabase::postgres().await;
    let (server, name) = database.url.rsplit_once('/').unwrap();
    let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("drop database {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let dir = tempfile::tempdir().unwrap();
    let first = portier(&["migrate", "--database-url", &database.url], dir.path());
    let said = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        first.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(said.contains("created the database"), "{said}");
    assert!(said.contains("ok: database migrated"), "{said}");
    let again = portier(&["migrate", "--database-url", &database.url], dir.path());
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success(), "{said}");
    assert!(!said.contains("created the database"), "{said}");
    let store = portier::store::Store::open(&database.url).await.unwrap();
    assert!(store.ping().await.is_ok());
    store.close().await;
}

#[test]
fn a_database_that_does_not_answer_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
    let output = portier(&["migrate", "--database-url", &url], dir.path());
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(text.matches("Connection refused").count(), 1, "{text}");
}
