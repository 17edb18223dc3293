//! Bulk loader for the benchmarks: `seed DATABASE_URL PRINCIPALS`. Creates `PRINCIPALS` users
//! `u0…`, one account `a{i/10}` per ten users (owned by its first), and a membership for every
//! user: even users hold `billing`, odd users `services`. Multi-row inserts of 1 000 rows in
//! one transaction: a million principals load in seconds on SQLite and PostgreSQL.

use std::time::Instant;

use portier::store::Store;
use sqlx::{Any, AnyPool, QueryBuilder};

const CHUNK: usize = 1000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: seed DATABASE_URL PRINCIPALS");
    let principals: usize = args
        .next()
        .expect("usage: seed DATABASE_URL PRINCIPALS")
        .parse()?;
    let started = Instant::now();
    Store::open(&url).await?;
    let pool = AnyPool::connect(&url).await?;
    let mut tx = pool.begin().await?;
    for start in (0..principals).step_by(CHUNK) {
        let users = start..(start + CHUNK).min(principals);
        let mut insert = QueryBuilder::<Any>::new(
            "insert into app_user (user_id, email, display_name, status, created_at, updated_at) ",
        );
        insert.push_values(users.clone(), |mut row, i| {
            row.push_bind(format!("u{i}"))
                .push_bind(format!("u{i}@example.com"))
                .push_bind(format!("User {i}"));
            row.push_bind("active").push_bind(0_i64).push_bind(0_i64);
        });
        insert.build().execute(&mut *tx).await?;
        let owners = users.clone().filter(|i| i % 10 == 0);
        if owners.clone().next().is_some() {
            let mut insert = QueryBuilder::<Any>::new(
                "insert into account (account_id, name, status, owner_id, created_at, updated_at) ",
            );
            insert.push_values(owners, |mut row, i| {
                row.push_bind(format!("a{}", i / 10))
                    .push_bind(format!("Account {}", i / 10))
                    .push_bind("active");
                row.push_bind(format!("u{i}"))
                    .push_bind(0_i64)
                    .push_bind(0_i64);
            });
            insert.build().execute(&mut *tx).await?;
        }
        let mut insert = QueryBuilder::<Any>::new(
            "insert into membership (account_id, user_id, role, grants, created_at, updated_at) ",
        );
        insert.push_values(users, |mut row, i| {
            let grants = if i % 2 == 0 {
                r#"["billing"]"#
            } else {
                r#"["services"]"#
            };
            let role = if i % 10 == 0 { "admin" } else { "member" };
            row.push_bind(format!("a{}", i / 10))
                .push_bind(format!("u{i}"))
                .push_bind(role);
            row.push_bind(grants).push_bind(0_i64).push_bind(0_i64);
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    println!(
        "seeded {principals} principals in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
