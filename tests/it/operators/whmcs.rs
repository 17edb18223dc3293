//! `portier import whmcs` against a real MariaDB holding WHMCS 8's tables (the columns an
//! import reads, with WHMCS's names and types): owners, members with permission lists, an
//! inactive and a closed client, a client without an owner, a login that is no email, and
//! contacts with email preferences. Afterwards checks give what WHMCS allowed; a second run
//! changes nothing; a link WHMCS drops is revoked, audited, while a member added in Portier
//! stays; an owner change moves ownership (cached decisions included); an email a new WHMCS
//! user reuses is reported, not a failed import.

use std::time::Duration;

use serde_json::Value;
use sqlx::mysql::MySqlPool;

use super::{portier, succeeded};
use crate::common::{uuid_like, Options, TestApp};

const TABLES: [&str; 4] = [
    "create table tblclients (id int(10) unsigned not null auto_increment primary key, uuid varchar(255) not null default '', \
     firstname text not null, lastname text not null, companyname text not null, email text not null, \
     status enum('Active','Inactive','Closed') not null default 'Active') default charset = utf8mb4",
    "create table tblusers (id int(10) unsigned not null auto_increment primary key, first_name varchar(255) not null, \
     last_name varchar(255) not null, email varchar(255) not null, password varchar(255) not null default '') default charset = utf8mb4",
    "create table tblusers_clients (id int(10) unsigned not null auto_increment primary key, auth_user_id int(10) unsigned not null, \
     client_id int(10) unsigned not null, invite_id int(10) unsigned not null default 0, owner tinyint(1) not null default 0, \
     permissions text not null, last_login timestamp null) default charset = utf8mb4",
    "create table tblcontacts (id int(10) not null auto_increment primary key, userid int(10) not null, firstname text not null, \
     lastname text not null, companyname text not null, email text not null, phonenumber text not null, \
     subaccount int(1) not null default 0, password text not null, permissions text not null, \
     domainemails int(1) not null default 0, generalemails int(1) not null default 0, invoiceemails int(1) not null default 0, \
     productemails int(1) not null default 0, supportemails int(1) not null default 0, affiliateemails int(1) not null default 0) \
     default charset = utf8mb4",
];

const ROWS: [&str; 4] = [
    "insert into tblclients (id, firstname, lastname, companyname, email, status) values \
     (1, 'Olivia', 'Owner', 'Acme Hosting Ltd', 'olivia@acme.example', 'Active'), \
     (2, 'Ian', 'Idle', '', 'ian@idle.example', 'Inactive'), \
     (3, 'Carl', 'Closed', 'Gone Ltd', 'carl@gone.example', 'Closed'), \
     (4, 'Nobody', 'Owns', 'Orphan Ltd', 'orphan@example.com', 'Active')",
    "insert into tblusers (id, first_name, last_name, email) values \
     (1, 'Olivia', 'Owner', 'Olivia@Acme.example'), (2, 'Bill', 'Payer', 'bill@acme.example'), \
     (3, 'Pat', 'Powers', 'pat@acme.example'), (4, 'Ian', 'Idle', 'ian@idle.example'), \
     (5, 'Carl', 'Closed', 'carl@gone.example'), (6, 'Broken', 'Login', 'not an email')",
    "insert into tblusers_clients (auth_user_id, client_id, owner, permissions) values \
     (1, 1, 1, ''), (2, 1, 0, 'invoices,productsso,quotes'), \
     (3, 1, 0, 'products,manageproducts,orders,profile,contacts,domains,managedomains,tickets'), \
     (4, 2, 1, ''), (4, 1, 0, ''), (5, 3, 1, ''), (6, 1, 0, 'invoices')",
    "insert into tblcontacts (userid, firstname, lastname, companyname, email, phonenumber, subaccount, password, permissions, \
     generalemails, invoiceemails, supportemails, productemails, domainemails, affiliateemails) values \
     (1, 'Accounts', 'Dept', '', 'ap@acme.example', '+44 20 7946 0000', 0, '', '', 1, 1, 0, 0, 0, 0), \
     (2, 'Tech', 'Desk', '', 'tech@idle.example', 'n/a', 0, '', '', 0, 0, 1, 1, 1, 1), \
     (1, 'Old', 'Subaccount', '', 'sub@acme.example', '', 1, '', 'invoices', 0, 1, 0, 0, 0, 0)",
];

/// A fresh database on the test MariaDB, holding WHMCS's tables; dropped by the caller.
async fn whmcs_database() -> (MySqlPool, String, String) {
    let server = std::env::var("PORTIER_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://portier_test:portier_test@127.0.0.1:3306".into());
    let name = format!("whmcs_test_{}", uuid_like());
    let admin = MySqlPool::connect(&server).await.expect("the test MariaDB");
    sqlx::query(&format!("create database {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = format!("{server}/{name}");
    let pool = MySqlPool::connect(&url).await.unwrap();
    for sql in TABLES.iter().chain(&ROWS) {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    (pool, url, name)
}

async fn import(from: &str, into: &str, dry_run: bool) -> String {
    let mut args = vec!["import", "whmcs", "--from", from, "--database-url", into];
    if dry_run {
        args.push("--dry-run");
    }
    succeeded(&portier(&args).await)
}

/// Asks until `app` answers `expected` (its caches learn of another process's writes from
/// the revisions in the database, within a sync interval).
async fn eventually(
    app: &TestApp,
    principal: &str,
    action: &str,
    resource: (&str, &str),
    account: &str,
    expected: bool,
) {
    for _ in 0..100 {
        if app.allows(principal, action, resource, account).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{principal} {action} on {account}: never {expected}");
}

#[tokio::test]
async fn an_import_gives_what_whmcs_allowed_changes_nothing_twice_and_revokes_what_whmcs_drops() {
    let (whmcs, from, name) = whmcs_database().await;
    let dir = tempfile::tempdir().unwrap();
    let into = format!("sqlite://{}", dir.path().join("portier.db").display());
    succeeded(&portier(&["migrate", "--database-url", &into]).await);

    let dry = import(&from, &into, true).await;
    assert!(dry.contains("dry run: nothing written"), "{dry}");
    assert!(
        dry.contains("+ member whmcs-u2 on whmcs-c1: member [billing]"),
        "{dry}"
    );
    let app = TestApp::start(&Options::new(&into)).await;
    assert_eq!(
        app.count("app_user").await + app.count("audit_event").await,
        0
    );

    let first = import(&from, &into, false).await;
    for unmapped in [
        "permission productsso (Perform Single Sign-On: Portier has no grant that narrow)",
        "permission quotes (View & Accept Quotes: Portier has no grant that narrow)",
        "client 4: no owner",
        "user 6:",
        "contact 2: \"n/a\" is not a phone number",
        "affiliate emails",
        "1 contact(s) were sub-accounts",
    ] {
        assert!(
            first.contains(unmapped),
            "the report does not say {unmapped:?}:\n{first}"
        );
    }
    // The view-only and domain keys have grants of their own in the shipped schema.
    assert!(
        first.contains("+ member whmcs-u3 on whmcs-c1: member [contacts, domains, domains-view, orders, passwords, profile, services-view, tickets]"),
        "{first}"
    );
    let audited = app.count("audit_event").await;
    assert!(audited > 0);

    // What WHMCS allowed, and nothing wider.
    let invoice = ("Invoice", "inv-1");
    let account = ("Account", "whmcs-c1");
    eventually(&app, "whmcs-u1", "inviteUser", account, "whmcs-c1", true).await;
    for (user, action, resource, allowed) in [
        ("whmcs-u2", "payInvoice", invoice, true),
        ("whmcs-u2", "viewServicePassword", ("Service", "s1"), false),
        // manageproducts is the passwords grant, which without services reaches assigned services only.
        ("whmcs-u3", "viewServicePassword", ("Service", "s1"), false),
        ("whmcs-u3", "placeOrder", account, true),
        ("whmcs-u3", "editProfile", account, true),
        ("whmcs-u3", "viewContacts", account, true),
        // products is services-view: it sees services and never manages one.
        ("whmcs-u3", "viewService", ("Service", "s1"), true),
        ("whmcs-u3", "manageService", ("Service", "s1"), false),
        ("whmcs-u3", "manageDomain", ("Domain", "d1"), true),
        ("whmcs-u3", "openTicket", account, true),
        ("whmcs-u3", "payInvoice", invoice, false),
        ("whmcs-u4", "viewAccount", account, true),
        ("whmcs-u4", "listInvoices", account, false),
        ("whmcs-u6", "viewAccount", account, false),
    ] {
        assert_eq!(
            app.allows(user, action, resource, "whmcs-c1").await,
            allowed,
            "{user} {action}"
        );
    }
    assert!(
        app.allows(
            "whmcs-u4",
            "listInvoices",
            ("Account", "whmcs-c2"),
            "whmcs-c2"
        )
        .await,
        "the Inactive client's owner"
    );
    assert!(
        !app.allows(
            "whmcs-u5",
            "viewAccount",
            ("Account", "whmcs-c3"),
            "whmcs-c3"
        )
        .await,
        "the Closed client"
    );
    let contacts = app
        .staff(reqwest::Method::GET, "/v1/accounts/whmcs-c1/contacts", None)
        .await;
    let preferences: Vec<Value> = contacts.body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["preferences"].clone())
        .collect();
    assert!(
        preferences.contains(&serde_json::json!(["billing", "general"])),
        "{:?}",
        contacts.body
    );

    let second = import(&from, &into, false).await;
    assert!(
        second.contains("0 change(s); nothing to change"),
        "{second}"
    );
    assert_eq!(app.count("audit_event").await, audited);

    // A member the owner added in Portier is Portier's: no import revokes it.
    app.user("p-anna").await;
    let put = serde_json::json!({"role": "member", "grants": ["billing"]});
    let added = app
        .acting(
            "whmcs-u1",
            reqwest::Method::PUT,
            "/v1/accounts/whmcs-c1/members/p-anna",
            Some(put),
        )
        .await;
    assert_eq!(added.status, 200, "{:?}", added.body);

    // WHMCS drops Bill's access and Pat's orders permission.
    sqlx::query("delete from tblusers_clients where auth_user_id = 2")
        .execute(&whmcs)
        .await
        .unwrap();
    sqlx::query(
        "update tblusers_clients set permissions = 'manageproducts' where auth_user_id = 3",
    )
    .execute(&whmcs)
    .await
    .unwrap();
    let third = import(&from, &into, false).await;
    assert!(
        third.contains("- member whmcs-u2 on whmcs-c1: access revoked"),
        "{third}"
    );
    assert!(third.contains("2 change(s); written"), "{third}");
    eventually(&app, "whmcs-u2", "payInvoice", invoice, "whmcs-c1", false).await;
    eventually(&app, "whmcs-u3", "placeOrder", account, "whmcs-c1", false).await;
    let trail = app
        .staff(reqwest::Method::GET, "/v1/accounts/whmcs-c1/audit", None)
        .await;
    let revoked = trail.body["events"].as_array().unwrap().iter().any(|e| {
        e["action"] == "import.whmcs" && e["target"] == "user:whmcs-u2" && e["after"].is_null()
    });
    assert!(revoked, "{:?}", trail.body);
    assert!(import(&from, &into, false)
        .await
        .contains("nothing to change"));
    assert!(
        app.allows("p-anna", "payInvoice", invoice, "whmcs-c1")
            .await
    );

    // WHMCS hands client 1 to Pat, deletes Bill and gives his address to a new user 7.
    assert!(
        app.allows("whmcs-u1", "inviteUser", account, "whmcs-c1")
            .await
    );
    for sql in [
        "update tblusers_clients set owner = 0 where auth_user_id = 1 and client_id = 1",
        "update tblusers_clients set owner = 1 where auth_user_id = 3 and client_id = 1",
        "delete from tblusers where id = 2",
        "insert into tblusers (id, first_name, last_name, email) values (7, 'New', 'Bill', 'bill@acme.example')",
        "insert into tblusers_clients (auth_user_id, client_id, owner, permissions) values (7, 1, 0, 'invoices')",
    ] {
        sqlx::query(sql).execute(&whmcs).await.unwrap();
    }
    let fourth = import(&from, &into, false).await;
    assert!(
        fourth.contains("user 7: bill@acme.example already logs in as Portier user whmcs-u2"),
        "{fourth}"
    );
    assert!(fourth.contains("written"), "{fourth}");
    eventually(&app, "whmcs-u1", "inviteUser", account, "whmcs-c1", false).await;
    eventually(&app, "whmcs-u3", "inviteUser", account, "whmcs-c1", true).await;

    whmcs.close().await;
    let admin = MySqlPool::connect(from.rsplit_once('/').unwrap().0)
        .await
        .unwrap();
    sqlx::query(&format!("drop database {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}
