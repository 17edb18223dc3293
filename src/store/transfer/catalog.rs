//! What the database itself says it holds: its tables, their columns, and the order in which
//! foreign keys let them be filled. Read from the catalog rather than listed here, so a
//! table a later migration adds is copied and checked without a change to this code.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::AnyConnection;

use crate::store::Backend;

/// A column's stored kind: every column of Portier's schema is one of these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `integer` or `bigint`: read and written as a 64-bit integer.
    Integer,
    /// `text`.
    Text,
}

/// A column: its name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table and its columns, in their declared order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
}

/// sqlx's own bookkeeping: the target is migrated by Portier itself, never copied into.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Every table of the database, each after the tables its foreign keys name (ties by name).
pub async fn tables(conn: &mut AnyConnection, backend: Backend) -> anyhow::Result<Vec<Table>> {
    let names: Vec<(String,)> = sqlx::query_as(match backend {
        Backend::Sqlite => {
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"
        }
        Backend::Postgres => {
            "select cast(table_name as text) from information_schema.tables \
             where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1"
        }
    })
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = BTreeMap::new();
    let mut parents = BTreeMap::new();
    for (name,) in names.into_iter().filter(|(name,)| name != MIGRATIONS_TABLE) {
        let columns = columns(conn, backend, &name).await?;
        parents.insert(name.clone(), referenced(conn, backend, &name).await?);
        tables.insert(name.clone(), Table { name, columns });
    }
    Ok(in_key_order(&parents)
        .into_iter()
        .filter_map(|name| tables.remove(&name))
        .collect())
}

async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> anyhow::Result<Vec<Column>> {
    let rows: Vec<(String, String)> = sqlx::query_as(match backend {
        Backend::Sqlite => "select name, type from pragma_table_info($1) order by cid",
        Backend::Postgres => {
            "select cast(column_name as text), cast(data_type as text) from information_schema.columns \
             where table_schema = current_schema() and table_name = $1 order by ordinal_position"
        }
    })
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(name, declared)| {
            let declared = declared.to_ascii_lowercase();
            let kind = if declared.contains("int") {
                Kind::Integer
            } else if declared == "text" {
                Kind::Text
            } else {
                anyhow::bail!("{table}.{name} has type {declared}, which copying does not know");
            };
            Ok(Column { name, kind })
        })
        .collect()
}

/// The tables `table`'s foreign keys point at.
async fn referenced(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> anyhow::Result<BTreeSet<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(match backend {
        Backend::Sqlite => "select distinct \"table\" from pragma_foreign_key_list($1)",
        // The system catalog, not information_schema: the latter shows only tables the
        // connecting role owns.
        Backend::Postgres => {
            "select distinct cast(parent.relname as text) from pg_constraint c \
             join pg_class child on child.oid = c.conrelid \
             join pg_class parent on parent.oid = c.confrelid \
             join pg_namespace n on n.oid = child.relnamespace \
             where c.contype = 'f' and n.nspname = current_schema() and child.relname = $1"
        }
    })
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name,)| name)
        .filter(|name| name != table)
        .collect())
}

/// The tables ordered so that each comes after those it references (a cycle, which Portier's
/// schema does not have, is broken by name order).
fn in_key_order(parents: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut placed: Vec<String> = Vec::new();
    let mut left: BTreeSet<&String> = parents.keys().collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .find(|name| {
                parents[**name]
                    .iter()
                    .all(|parent| placed.contains(parent) || !parents.contains_key(parent))
            })
            .or_else(|| left.iter().next())
            .copied()
            .expect("a table is left");
        left.remove(ready);
        placed.push(ready.clone());
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_comes_after_the_tables_it_references() {
        let parents = BTreeMap::from([
            (
                "account".to_owned(),
                BTreeSet::from(["app_user".to_owned()]),
            ),
            ("app_user".to_owned(), BTreeSet::new()),
            (
                "assignment".to_owned(),
                BTreeSet::from(["membership".to_owned()]),
            ),
            (
                "membership".to_owned(),
                BTreeSet::from(["account".to_owned(), "app_user".to_owned()]),
            ),
        ]);
        assert_eq!(
            in_key_order(&parents),
            ["app_user", "account", "membership", "assignment"]
        );
    }
}
