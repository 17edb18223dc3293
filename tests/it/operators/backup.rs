//! `portier backup` while a server writes, and `portier restore`: every write acknowledged
//! before the backup began is in it, the file passes SQLite's integrity check, the restored
//! data has a new identity; a database a server has open, or one with a leftover `-wal`, is
//! never replaced.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::{failed, portier, succeeded};
use crate::common::{client_area, Options, TestApp};

async fn user_ids(url: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let ids = sqlx::query_scalar("select user_id from app_user")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    ids
}

#[tokio::test]
async fn a_backup_taken_during_writes_holds_every_write_acknowledged_before_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let served = format!("sqlite://{}", dir.path().join("served.db").display());
    let app = Arc::new(TestApp::start(&Options::new(&served)).await);
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let writer = {
        let (app, acknowledged) = (Arc::clone(&app), Arc::clone(&acknowledged));
        tokio::spawn(async move {
            for n in 0..400 {
                let id = format!("burst-{n}");
                let body =
                    json!({"id": id, "email": format!("{id}@example.com"), "display_name": id});
                let reply = app.staff(Method::POST, "/v1/users", Some(body)).await;
                assert_eq!(reply.status, 201, "{:?}", reply.body);
                acknowledged.lock().unwrap().push(id);
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 40 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let file = dir.path().join("backup.db");
    let said = succeeded(
        &portier(&[
            "backup",
            "--database-url",
            &served,
            "--to",
            file.to_str().unwrap(),
        ])
        .await,
    );
    let during = acknowledged.lock().unwrap().len();
    writer.await.unwrap();
    assert!(said.contains("integrity check ok"), "{said}");
    assert!(during < 400, "the backup did not run while writes went on");

    let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
    let said = succeeded(
        &portier(&[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--database-url",
            &restored,
        ])
        .await,
    );
    assert!(said.contains("new identity"), "{said}");
    let held = user_ids(&restored).await;
    for id in &before {
        assert!(
            held.contains(id),
            "{id} was acknowledged before the backup began, and is missing"
        );
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&restored).await.unwrap();
    let integrity: String = sqlx::query_scalar("pragma integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let identities: Vec<String> = sqlx::query_scalar("select identity from data_identity")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    let original = portier::store::Store::open(&served).await.unwrap();
    assert_ne!(identities, [original.identity().to_owned()]);
    original.close().await;
}

#[tokio::test]
async fn restore_never_replaces_a_database_a_server_has_open_or_one_left_with_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let served = format!("sqlite://{}", dir.path().join("served.db").display());
    let app = TestApp::start(&Options::new(&served)).await;
    client_area(&app).await;
    let file = dir.path().join("backup.db");
    let file = file.to_str().unwrap();
    succeeded(&portier(&["backup", "--database-url", &served, "--to", file]).await);
    let again = failed(&portier(&["backup", "--database-url", &served, "--to", file]).await);
    assert!(again.contains("never overwrites"), "{again}");
    app.user("after-backup").await;

    let refused = failed(&portier(&["restore", "--from", file, "--database-url", &served]).await);
    assert!(refused.contains("-wal exists"), "{refused}");
    assert!(user_ids(&served).await.contains(&"after-backup".to_owned()));

    let stopped = dir.path().join("stopped.db");
    std::fs::write(dir.path().join("stopped.db-wal"), b"").unwrap();
    let stopped_url = format!("sqlite://{}", stopped.display());
    let refused =
        failed(&portier(&["restore", "--from", file, "--database-url", &stopped_url]).await);
    assert!(refused.contains("stopped.db-wal exists"), "{refused}");
    assert!(!stopped.exists());

    let not_a_backup = dir.path().join("notes.txt");
    std::fs::write(&not_a_backup, "not a database").unwrap();
    let fresh = format!("sqlite://{}", dir.path().join("fresh.db").display());
    failed(
        &portier(&[
            "restore",
            "--from",
            not_a_backup.to_str().unwrap(),
            "--database-url",
            &fresh,
        ])
        .await,
    );
    assert!(!dir.path().join("fresh.db").exists());
}
