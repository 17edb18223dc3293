//! `portier copy`: every table of one store into another, SQLite to PostgreSQL or back, in
//! one transaction on the target, checked before it commits.
//!
//! The source is read in one snapshot (a read transaction; `repeatable read` on PostgreSQL),
//! so a copy taken while a server writes is consistent. The tables and their columns come
//! from the source's catalog (see [`catalog`]), filled in foreign-key order. Before the
//! commit every table is read back from the target inside the same transaction, and its row
//! count and content checksum ([`checksum`]) must equal the source's; otherwise nothing is
//! committed. The target keeps the data identity it chose when it was created, so a source
//! and its copy never share cached decisions through one Redis.

mod catalog;
mod checksum;

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};

use super::{Backend, Store};
use catalog::{Kind, Table};
pub use checksum::{Cell, Tally};

/// One copied table: its rows and content checksum, equal on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    pub table: String,
    pub rows: u64,
    pub checksum: String,
}

/// What a copy did.
#[derive(Debug, Clone)]
pub struct CopyReport {
    /// Every table, in the order filled.
    pub tables: Vec<CopiedTable>,
    /// The target's own data identity.
    pub identity: String,
}

/// Tables each migrated database starts with a row in; the target's rows give way to the
/// source's.
const SEEDED: [&str; 2] = ["revision_clock", "store_probe"];

/// The data identity: never copied (see the module comment).
const IDENTITY: &str = "data_identity";

/// The most parameters one insert binds (SQLite allows 32 766).
const MAX_PARAMETERS: usize = 30_000;

impl Store {
    /// Copies every table of this store into `target`, which must hold no data; `progress`
    /// hears `(table, rows copied, rows in all)` as rows go in.
    pub async fn copy_into(
        &self,
        target: &Store,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> anyhow::Result<CopyReport> {
        let mut source = match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("begin isolation level repeatable read read only")
                    .await?
            }
        };
        let tables = catalog::tables(&mut source, self.backend).await?;
        let mut write = target.begin_write().await?;
        let target_tables = catalog::tables(&mut write.tx, target.backend).await?;
        let by_name = |tables: &[Table]| {
            let mut named: Vec<Table> = tables.to_vec();
            named.sort_by(|a, b| a.name.cmp(&b.name));
            named
        };
        if by_name(&target_tables) != by_name(&tables) {
            anyhow::bail!(
                "the target's tables differ from the source's: migrate both with this version of portier first"
            );
        }
        refuse_data(&mut write.tx, &tables).await?;
        let mut copied = Vec::new();
        for table in tables.iter().filter(|t| t.name != IDENTITY) {
            if SEEDED.contains(&table.name.as_str()) {
                sqlx::query(&format!("delete from {}", table.name))
                    .execute(&mut *write.tx)
                    .await?;
            }
            let tally = copy_table(&mut source, &mut write.tx, table, progress).await?;
            let landed = read_tally(&mut write.tx, table).await?;
            if landed != tally {
                anyhow::bail!(
                    "table {}: the target holds {} rows with checksum {}, the source {} rows with checksum {}; nothing was copied",
                    table.name, landed.rows, landed.checksum(), tally.rows, tally.checksum()
                );
            }
            copied.push(CopiedTable {
                table: table.name.clone(),
                rows: tally.rows,
                checksum: tally.checksum(),
            });
        }
        write.tx.commit().await?;
        // Committed: the source's read snapshot ends whatever its rollback answers.
        let _ = source.rollback().await;
        Ok(CopyReport {
            tables: copied,
            identity: target.identity().to_owned(),
        })
    }

    /// Row count and content checksum of every table but the data identity.
    pub async fn tallies(&self) -> anyhow::Result<Vec<CopiedTable>> {
        let mut conn = self.pool.acquire().await?;
        let tables = catalog::tables(&mut conn, self.backend).await?;
        let mut out = Vec::new();
        for table in tables.iter().filter(|t| t.name != IDENTITY) {
            let tally = read_tally(&mut conn, table).await?;
            out.push(CopiedTable {
                table: table.name.clone(),
                rows: tally.rows,
                checksum: tally.checksum(),
            });
        }
        Ok(out)
    }
}

/// An error naming the first table that holds data (a migrated, unused database holds only
/// its seed rows and an unmoved revision clock).
async fn refuse_data(conn: &mut AnyConnection, tables: &[Table]) -> anyhow::Result<()> {
    for table in tables {
        let sql = match table.name.as_str() {
            IDENTITY | "store_probe" => continue,
            "revision_clock" => {
                "select count(*) from revision_clock where revision <> 0".to_owned()
            }
            name => format!("select count(*) from {name}"),
        };
        let (rows,): (i64,) = sqlx::query_as(&sql).fetch_one(&mut *conn).await?;
        if rows > 0 {
            anyhow::bail!(
                "the target holds data (table {} is not empty); copy only into a new, empty database",
                table.name
            );
        }
    }
    Ok(())
}

/// Streams `table` from `source` into `target` in multi-row inserts; the source's tally.
async fn copy_table(
    source: &mut AnyConnection,
    target: &mut AnyConnection,
    table: &Table,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> anyhow::Result<Tally> {
    let (total,): (i64,) = sqlx::query_as(&format!("select count(*) from {}", table.name))
        .fetch_one(&mut *source)
        .await?;
    let total = u64::try_from(total).unwrap_or(0);
    let per_insert = (MAX_PARAMETERS / table.columns.len().max(1)).clamp(1, 500);
    let mut tally = Tally::default();
    let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(per_insert);
    let select = select_sql(table);
    let mut rows = sqlx::query(&select).fetch(&mut *source);
    while let Some(row) = rows.try_next().await? {
        let cells = cells_of(&row, table)?;
        tally.add(&named(table, &cells));
        batch.push(cells);
        if batch.len() == per_insert {
            insert(target, table, &std::mem::take(&mut batch)).await?;
            progress(&table.name, tally.rows, total);
        }
    }
    insert(target, table, &batch).await?;
    progress(&table.name, tally.rows, total);
    Ok(tally)
}

/// The row count and checksum of `table` as `conn` sees it.
async fn read_tally(conn: &mut AnyConnection, table: &Table) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let select = select_sql(table);
    let mut rows = sqlx::query(&select).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        tally.add(&named(table, &cells_of(&row, table)?));
    }
    Ok(tally)
}

/// Every column, integers read as 64-bit on both backends.
fn select_sql(table: &Table) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Integer => format!("cast({0} as bigint) as {0}", c.name),
            Kind::Text => c.name.clone(),
        })
        .collect();
    format!("select {} from {}", columns.join(", "), table.name)
}

fn cells_of(row: &sqlx::any::AnyRow, table: &Table) -> anyhow::Result<Vec<Cell>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            Ok(match column.kind {
                Kind::Integer => row
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Cell::Null, Cell::Integer),
                Kind::Text => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Cell::Null, Cell::Text),
            })
        })
        .collect()
}

fn named<'a>(table: &'a Table, cells: &'a [Cell]) -> Vec<(&'a str, &'a Cell)> {
    table
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .zip(cells)
        .collect()
}

async fn insert(conn: &mut AnyConnection, table: &Table, rows: &[Vec<Cell>]) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = table.columns.len();
    let tuples: Vec<String> = (0..rows.len())
        .map(|r| {
            let slots: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", slots.join(", "))
        })
        .collect();
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let sql = format!(
        "insert into {} ({}) values {}",
        table.name,
        names.join(", "),
        tuples.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        for (cell, column) in row.iter().zip(&table.columns) {
            // A null is bound with its column's type: PostgreSQL refuses a text null for a bigint.
            query = match (cell, column.kind) {
                (Cell::Null, Kind::Integer) => query.bind(None::<i64>),
                (Cell::Null, Kind::Text) => query.bind(None::<String>),
                (Cell::Integer(n), _) => query.bind(*n),
                (Cell::Text(text), _) => query.bind(text.as_str()),
            };
        }
    }
    query.execute(conn).await?;
    Ok(())
}
