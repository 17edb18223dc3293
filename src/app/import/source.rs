//! Reading a WHMCS 8 database (MySQL or MariaDB): the four tables an import needs, in one
//! consistent snapshot, with WHMCS's own column names. Nothing is written to it.

use sqlx::mysql::MySqlPoolOptions;

/// `tblclients`: a billed client account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Client {
    pub id: i64,
    pub firstname: String,
    pub lastname: String,
    pub companyname: String,
    pub status: String,
}

/// `tblusers`: a login (WHMCS 8).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// `tblusers_clients`: a user's access to a client, with the owner flag and permissions.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Link {
    pub auth_user_id: i64,
    pub client_id: i64,
    pub owner: i64,
    /// Comma-separated permission keys.
    pub permissions: String,
}

/// `tblcontacts`: someone receiving a client's mail, by category.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Contact {
    pub id: i64,
    pub userid: i64,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub phonenumber: String,
    pub subaccount: i64,
    pub generalemails: i64,
    pub invoiceemails: i64,
    pub supportemails: i64,
    pub productemails: i64,
    pub domainemails: i64,
    pub affiliateemails: i64,
}

/// What an import reads.
#[derive(Debug, Clone, Default)]
pub struct WhmcsData {
    pub clients: Vec<Client>,
    pub users: Vec<User>,
    pub links: Vec<Link>,
    pub contacts: Vec<Contact>,
}

/// Text columns as text whatever their collation; NULL as empty.
fn text(column: &str) -> String {
    format!("cast(coalesce({column}, '') as char) as {column}")
}

/// Integer columns (signed, unsigned, tinyint flags) as 64-bit; NULL as 0.
fn int(column: &str) -> String {
    format!("cast(coalesce({column}, 0) as signed) as {column}")
}

/// Reads the tables at `url` (`mysql://USER:PASSWORD@HOST/DATABASE`) in one read-only
/// snapshot.
pub async fn read(url: &str) -> anyhow::Result<WhmcsData> {
    let pool = MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await?;
    let mut tx = pool
        .begin_with("start transaction with consistent snapshot, read only")
        .await?;
    let clients = format!(
        "select {}, {}, {}, {}, {} from tblclients order by id",
        int("id"),
        text("firstname"),
        text("lastname"),
        text("companyname"),
        text("status")
    );
    let users = format!(
        "select {}, {}, {}, {} from tblusers order by id",
        int("id"),
        text("first_name"),
        text("last_name"),
        text("email")
    );
    let links = format!(
        "select {}, {}, {}, {} from tblusers_clients order by id",
        int("auth_user_id"),
        int("client_id"),
        int("owner"),
        text("permissions")
    );
    let contact_columns: Vec<String> = ["id", "userid"]
        .into_iter()
        .map(int)
        .chain(["firstname", "lastname", "email", "phonenumber"].map(text))
        .chain(
            [
                "subaccount",
                "generalemails",
                "invoiceemails",
                "supportemails",
                "productemails",
                "domainemails",
                "affiliateemails",
            ]
            .map(int),
        )
        .collect();
    let contacts = format!(
        "select {} from tblcontacts order by id",
        contact_columns.join(", ")
    );
    let data = WhmcsData {
        clients: sqlx::query_as(&clients).fetch_all(&mut *tx).await?,
        users: sqlx::query_as(&users).fetch_all(&mut *tx).await?,
        links: sqlx::query_as(&links).fetch_all(&mut *tx).await?,
        contacts: sqlx::query_as(&contacts).fetch_all(&mut *tx).await?,
    };
    tx.rollback().await?;
    pool.close().await;
    Ok(data)
}
