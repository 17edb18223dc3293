//! Schema migrations (`migrations/`, the same SQL for SQLite and PostgreSQL), plus the one
//! data step that SQL cannot do on every backend: putting stored emails into Portier's normal form
//! ([`Email::normalize`]), which needs Unicode case folding that SQLite's `lower()` lacks.

use sqlx::AnyPool;

use super::Backend;
use crate::domain::Email;

/// `migrations/`.
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!();

/// Applies the pending migrations, then normalizes the emails SQL alone could not
/// (non-ASCII capitals, decomposed accents). The second step reads only rows that are not
/// plainly normal (non-ASCII, or ASCII capitals or spaces) and changes nothing when all are
/// normal, so it runs on every start: a start that was stopped half-way is finished by the
/// next.
pub(super) async fn migrate(pool: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    MIGRATIONS.run(pool).await?;
    normalize_emails(pool, backend).await
}

/// The identity of the data: chosen at random the first time, kept from then on.
pub(super) async fn identity(pool: &AnyPool) -> anyhow::Result<String> {
    let chosen = uuid::Uuid::new_v4().simple().to_string();
    sqlx::query(
        "insert into data_identity (data_identity_id, identity) values (1, $1) on conflict (data_identity_id) do nothing",
    )
    .bind(&chosen)
    .execute(pool)
    .await?;
    let (identity,): (String,) =
        sqlx::query_as("select identity from data_identity where data_identity_id = 1")
            .fetch_one(pool)
            .await?;
    Ok(identity)
}

/// Rewrites every stored email that is not in the normal form. Two users whose logins become
/// equal stop the migration with both named: which one keeps the address is a person's call.
async fn normalize_emails(pool: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    let non_ascii = match backend {
        Backend::Sqlite => "glob '*[^ -~]*'",
        Backend::Postgres => "~ '[^ -~]'",
    };
    for (table, key, column) in [
        ("app_user", "user_id", "email"),
        ("app_user", "user_id", "notification_email"),
        ("invitation", "invitation_id", "email"),
        ("contact", "contact_id", "email"),
    ] {
        let sql = format!(
            "select {key}, {column} from {table} where {column} {non_ascii} or {column} <> lower(trim({column}))"
        );
        let rows: Vec<(String, String)> = sqlx::query_as(&sql).fetch_all(pool).await?;
        for (id, email) in rows {
            let normal = Email::normalize(&email);
            if normal == email {
                continue;
            }
            let sql = format!("update {table} set {column} = $1 where {key} = $2");
            sqlx::query(&sql)
                .bind(&normal)
                .bind(&id)
                .execute(pool)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{table} {id}: its {column} {email:?} becomes {normal:?}, which another \
                         row already has; change one of them and start again ({e})"
                    )
                })?;
        }
    }
    Ok(())
}

/// The versions of the migrations this build knows.
pub(super) fn known_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.version).collect()
}

impl super::Store {
    /// Gives the data a new identity (after it was restored with the database's own tools):
    /// no cache entry computed from the data as it was before can be answered from again.
    pub async fn renew_identity(&self) -> anyhow::Result<String> {
        let identity = uuid::Uuid::new_v4().simple().to_string();
        sqlx::query("update data_identity set identity = $1 where data_identity_id = 1")
            .bind(&identity)
            .execute(&self.pool)
            .await?;
        Ok(identity)
    }
}
