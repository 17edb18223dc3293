//! Bulk loader for the benchmarks: `seed DATABASE_URL PRINCIPALS`. Creates `PRINCIPALS` users
//! `u0…`, one account `a{i/10}` per ten users (owned by its first), and a membership for every
//! user: even users hold `billing`, odd users `services`. Multi-row inserts of 1 000 rows in
//! one transaction: a million principals load in seconds on SQLite and PostgreSQL.

use std::time::Instant;

use portier::store::Store;
use sqlx::AnyPool;

const CHUNK: usize = 1000;

/// `insert into TABLE (COLUMNS) values (…), (…)` for `rows` rows: `$n` placeholders for
/// PostgreSQL, `?` for SQLite (whose driver binds those fastest).
fn insert_sql(postgres: bool, table: &str, columns: &[&str], rows: usize) -> String {
    let width = columns.len();
    let placeholder = |n: usize| {
        if postgres {
            format!("${n}")
        } else {
            "?".to_owned()
        }
    };
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            format!(
                "({})",
                (1..=width)
                    .map(|c| placeholder(r * width + c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    format!(
        "insert into {table} ({}) values {}",
        columns.join(", "),
        tuples.join(", ")
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: seed DATABASE_URL PRINCIPALS");
    let principals: usize = args
        .next()
        .expect("usage: seed DATABASE_URL PRINCIPALS")
        .parse()?;
    let started = Instant::now();
    let postgres = url.starts_with("postgres");
    Store::open(&url).await?;
    let pool = AnyPool::connect(&url).await?;
    let mut tx = pool.begin().await?;
    for start in (0..principals).step_by(CHUNK) {
        let users: Vec<usize> = (start..(start + CHUNK).min(principals)).collect();
        let sql = insert_sql(
            postgres,
            "app_user",
            &[
                "user_id",
                "email",
                "display_name",
                "status",
                "created_at",
                "updated_at",
            ],
            users.len(),
        );
        let mut query = sqlx::query(&sql);
        for i in &users {
            query = query
                .bind(format!("u{i}"))
                .bind(format!("u{i}@example.com"))
                .bind(format!("User {i}"))
                .bind("active")
                .bind(0_i64)
                .bind(0_i64);
        }
        query.execute(&mut *tx).await?;

        let owners: Vec<usize> = users.iter().copied().filter(|i| i % 10 == 0).collect();
        if !owners.is_empty() {
            let sql = insert_sql(
                postgres,
                "account",
                &[
                    "account_id",
                    "name",
                    "status",
                    "owner_id",
                    "created_at",
                    "updated_at",
                ],
                owners.len(),
            );
            let mut query = sqlx::query(&sql);
            for i in &owners {
                query = query
                    .bind(format!("a{}", i / 10))
                    .bind(format!("Account {}", i / 10))
                    .bind("active")
                    .bind(format!("u{i}"))
                    .bind(0_i64)
                    .bind(0_i64);
            }
            query.execute(&mut *tx).await?;
        }

        let sql = insert_sql(
            postgres,
            "membership",
            &[
                "account_id",
                "user_id",
                "role",
                "grants",
                "created_at",
                "updated_at",
            ],
            users.len(),
        );
        let mut query = sqlx::query(&sql);
        for i in &users {
            let grants = if i % 2 == 0 {
                r#"["billing"]"#
            } else {
                r#"["services"]"#
            };
            let role = if i % 10 == 0 { "admin" } else { "member" };
            query = query
                .bind(format!("a{}", i / 10))
                .bind(format!("u{i}"))
                .bind(role)
                .bind(grants)
                .bind(0_i64)
                .bind(0_i64);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    println!(
        "seeded {principals} principals in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
