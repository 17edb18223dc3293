//! `portier copy`: SQLite to PostgreSQL and back, every table and every check the same; a
//! target holding data refused; a copy failing part-way leaving the target empty.

use portier::store::Store;

use super::{answers, every_kind_of_record, failed, portier, succeeded};
use crate::common::{Options, TestApp, TestDatabase};

fn sqlite_in(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}", dir.path().join(name).display())
}

async fn tallies(url: &str) -> Vec<portier::store::transfer::CopiedTable> {
    let store = Store::open(url).await.expect("store");
    let tallies = store.tallies().await.expect("tallies");
    store.close().await;
    tallies
}

async fn identity(url: &str) -> String {
    let store = Store::open(url).await.expect("store");
    let identity = store.identity().to_owned();
    store.close().await;
    identity
}

#[tokio::test]
async fn a_round_trip_through_postgres_keeps_every_table_and_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (first, last) = (sqlite_in(&dir, "first.db"), sqlite_in(&dir, "last.db"));
    let mut app = TestApp::start(&Options::new(&first)).await;
    every_kind_of_record(&app).await;
    let before = answers(&app).await;
    app.shut_down(std::time::Duration::from_secs(10)).await;
    drop(app);
    let postgres = TestDatabase::postgres().await;

    let there = succeeded(&portier(&["copy", "--from", &first, "--to", &postgres.url]).await);
    let back = succeeded(&portier(&["copy", "--from", &postgres.url, "--to", &last]).await);

    let original = tallies(&first).await;
    for table in [
        "app_user",
        "account",
        "membership",
        "service_assignment",
        "audit_event",
        "invitation",
        "contact",
        "api_key",
        "data_revision",
    ] {
        let row = original
            .iter()
            .find(|t| t.table == table)
            .unwrap_or_else(|| panic!("{table} not copied"));
        assert!(row.rows > 0, "{table} holds no rows to copy");
        assert!(there.contains(&format!("{table} ")), "{there}");
    }
    assert_eq!(tallies(&postgres.url).await, original);
    assert_eq!(tallies(&last).await, original);
    assert!(back.contains("ok: copied"), "{back}");
    let identities = [
        identity(&first).await,
        identity(&postgres.url).await,
        identity(&last).await,
    ];
    assert!(
        identities[0] != identities[1]
            && identities[1] != identities[2]
            && identities[0] != identities[2]
    );

    for url in [&postgres.url, &last] {
        let copy = TestApp::start(&Options::new(url)).await;
        assert_eq!(answers(&copy).await, before, "checks on {url}");
    }
}

#[tokio::test]
async fn a_target_that_holds_data_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_in(&dir, "source.db");
    let app = TestApp::start(&Options::new(&source)).await;
    every_kind_of_record(&app).await;
    let postgres = TestDatabase::postgres().await;
    succeeded(&portier(&["copy", "--from", &source, "--to", &postgres.url]).await);
    let copied = tallies(&postgres.url).await;
    app.user("late").await;

    let refused = failed(&portier(&["copy", "--from", &source, "--to", &postgres.url]).await);
    assert!(refused.contains("holds data"), "{refused}");
    assert_eq!(tallies(&postgres.url).await, copied);
}

#[tokio::test]
async fn a_copy_that_fails_part_way_leaves_the_target_empty() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_in(&dir, "source.db");
    let app = TestApp::start(&Options::new(&source)).await;
    every_kind_of_record(&app).await;
    let postgres = TestDatabase::postgres().await;
    succeeded(&portier(&["migrate", "--database-url", &postgres.url]).await);
    // The target refuses service assignments, the last table with rows to fill (foreign-key
    // order, then name): every other table has taken its rows by then.
    let pool = sqlx::PgPool::connect(&postgres.url).await.unwrap();
    for sql in [
        "create function refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$",
        "create trigger refuse before insert on service_assignment for each row execute function refuse()",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }

    let error = failed(&portier(&["copy", "--from", &source, "--to", &postgres.url]).await);
    assert!(error.contains("refused by the test"), "{error}");
    for table in [
        "app_user",
        "account",
        "api_key",
        "audit_event",
        "contact",
        "data_revision",
        "invitation",
        "membership",
    ] {
        let rows: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 0, "{table} kept rows of a failed copy");
    }
    let clock: i64 = sqlx::query_scalar("select revision from revision_clock")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(clock, 0, "the seed rows are back as they were");
    pool.close().await;
}
