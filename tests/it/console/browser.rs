//! The console in a real headless Chromium: sign in, find an account seeded through the API,
//! read matrix cells, explain a deny, try a draft; then the same account at phone width.
//! Screenshots land in `target/console-screenshots/`.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::json;

use super::seed_extras;
use super::webdriver::Browser;
use crate::checks::agents::{agent_check, agents, consent};
use crate::common::{client_area, repo_path, TestApp, ADMIN_TOKEN};

fn screenshot_dir() -> PathBuf {
    let dir = repo_path("target/console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn save_screenshot(browser: &Browser, name: &str) {
    let png = browser.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshot_dir().join(name), png).expect("write screenshot");
}

async fn cell_text(browser: &Browser, user: &str, action: &str) -> String {
    let css = format!("button.cell[data-user=\"{user}\"][data-action=\"{action}\"]");
    let cell = browser.wait(&css).await;
    browser.text(&cell).await
}

async fn sign_in(browser: &Browser, app: &TestApp) {
    browser.goto(&format!("{}/console", app.base)).await;
    let token = browser.wait("#token").await;
    browser.type_text(&token, ADMIN_TOKEN).await;
    let button = browser.wait("#signin-button").await;
    browser.click(&button).await;
    browser.wait("#find:not([hidden])").await;
}

async fn open_account_through_find(browser: &Browser, account: &str) {
    let q = browser.wait("#q").await;
    browser.type_text(&q, account).await;
    let find = browser.wait("#find-button").await;
    browser.click(&find).await;
    let link = browser
        .wait(&format!("a.result-account[data-id=\"{account}\"]"))
        .await;
    browser.click(&link).await;
    browser
        .wait(&format!("#account[data-loaded=\"{account}\"]"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_signs_in_reads_the_matrix_explains_a_deny_and_tries_a_draft() {
    let app = TestApp::spawn().await;
    client_area(&app).await;
    seed_extras(&app).await;
    let key = app
        .acting(
            "olivia",
            Method::POST,
            "/v1/accounts/acct-1/api-keys",
            Some(json!({"name": "billing-export", "grants": ["billing"]})),
        )
        .await;
    assert_eq!(key.status, 201, "{:?}", key.body);
    let key_id = key.body["api_key"]["id"].as_str().unwrap().to_owned();
    let role = app
        .acting(
            "olivia",
            Method::PUT,
            "/v1/accounts/acct-1/roles/clerk",
            Some(json!({"grants": ["billing-view"], "description": "Reads invoices"})),
        )
        .await;
    assert_eq!(role.status, 200, "{:?}", role.body);
    // A support access for alice, and a break-glass by sue.
    agents(&app).await;
    let ends = app.at(std::time::Duration::from_secs(3600));
    let access = json!({"grants": ["services"], "reason": "ticket #4411", "expires_at": ends, "agent": "alice"});
    consent(&app, "olivia", "acct-1", access).await;
    let invoice = ("Invoice", "inv-1");
    let context = json!({"reason": "incident 77"});
    let glass = agent_check(
        &app,
        "sue",
        "viewInvoice",
        invoice,
        "acct-1",
        context,
        false,
    )
    .await;
    assert_eq!(glass.body["decision"], "allow", "{:?}", glass.body);
    // Enough changes for a second page of the audit trail (twenty a page, the key's creation
    // one of them, the role's, the support access's and the break-glass others); mia ends as
    // before.
    for i in 1..13 {
        let grants: &[&str] = if i % 2 == 1 { &["profile"] } else { &[] };
        app.member("acct-1", "mia", "member", grants).await;
    }
    let browser = Browser::start(1280, 1400).await;

    // Signed out, the sections' links and "Sign out" are not shown.
    browser.goto(&format!("{}/console", app.base)).await;
    browser.wait("#token").await;
    let nav = browser
        .script(
            "return getComputedStyle(document.getElementById('nav')).display",
            json!([]),
        )
        .await;
    assert_eq!(nav, json!("none"), "no section links before signing in");

    sign_in(&browser, &app).await;
    let kept = browser
        .script(
            "return [sessionStorage.getItem('portier.console.token'), location.href]",
            json!([]),
        )
        .await;
    assert_eq!(
        kept[0],
        json!(ADMIN_TOKEN),
        "the token is in session storage"
    );
    assert!(
        !kept[1].as_str().unwrap_or_default().contains(ADMIN_TOKEN),
        "never in the address: {}",
        kept[1]
    );

    browser
        .script(
            "window.cspViolations = []; document.addEventListener('securitypolicyviolation', \
             (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
            json!([]),
        )
        .await;
    open_account_through_find(&browser, "acct-1").await;
    let page = browser.wait("#account-body").await;
    let text = browser.text(&page).await;
    assert!(text.contains("Owner") && text.contains("olivia"), "{text}");
    assert!(
        !text.contains("[object"),
        "every value is shown as text: {text}"
    );
    for shown in [
        "nina@example.com",
        "vps-7",
        "Carla Books",
        "member.add",
        "billing-export",
        "Reads invoices",
        "accountant",
        "Security requirements",
        "not required",
        "ticket #4411",
        "incident 77",
    ] {
        assert!(text.contains(shown), "the account page shows {shown}");
    }
    assert!(
        text.contains("<olivia@example.com> (owner)")
            && !text.contains("<olivia@example.com> (member)"),
        "the mail table names the owner as the owner: {text}"
    );
    let older = browser.wait("#audit-older").await;
    browser.click(&older).await;
    let end = browser.wait("#audit p.legend").await;
    assert_eq!(browser.text(&end).await, "End of the trail.");
    for (user, action, decision) in [
        ("bill", "payInvoice", "allow"),
        ("mia", "payInvoice", "deny"),
        ("olivia", "inviteUser", "allow"),
        ("adam", "inviteUser", "deny"),
        ("adam", "payInvoice", "allow"),
        (key_id.as_str(), "payInvoice", "allow"),
        (key_id.as_str(), "placeOrder", "deny"),
        (key_id.as_str(), "inviteUser", "deny"),
        ("alice", "manageService", "allow"),
        ("alice", "payInvoice", "deny"),
    ] {
        let cell = cell_text(&browser, user, action).await;
        assert!(cell.contains(decision), "{user} {action}: {cell}");
    }
    let groups = browser
        .script(
            "return [...document.querySelectorAll('th.group')].map((th) => th.textContent)",
            json!([]),
        )
        .await;
    let groups: Vec<String> = serde_json::from_value(groups).unwrap();
    assert!(groups.iter().any(|g| g == "billing grant"), "{groups:?}");
    for group in &groups {
        let camel = group.chars().skip(1).any(char::is_uppercase);
        assert!(
            !camel && group != "no group",
            "a group as people read it: {groups:?}"
        );
    }
    browser.script("window.scrollTo(0, 0)", json!([])).await;
    save_screenshot(&browser, "account-1280.png").await;

    // Keyboard: a cell is a real button that takes focus.
    let focused = browser
        .script(
            "const b = document.querySelector('button.cell'); b.focus(); return document.activeElement === b;",
            json!([]),
        )
        .await;
    assert_eq!(focused, json!(true));

    let cell = browser
        .wait("button.cell[data-user=\"mia\"][data-action=\"payInvoice\"]")
        .await;
    browser.click(&cell).await;
    browser
        .wait("#explain-result[data-decision=\"deny\"]")
        .await;
    let unmet = browser
        .wait(".missed-permit[data-id=\"grant-billing\"] li.condition.unmet")
        .await;
    assert!(
        browser.text(&unmet).await.contains("Grant::\"billing\""),
        "the unmet condition is the billing grant"
    );
    let billing = browser
        .wait(".missed-permit[data-id=\"grant-billing\"] .where")
        .await;
    assert!(browser.text(&billing).await.starts_with("grants.cedar:"));
    save_screenshot(&browser, "explain-1280.png").await;

    let policies = browser.wait("#nav-policies").await;
    browser.click(&policies).await;
    browser.wait("#policies[data-loaded]").await;
    let status = browser
        .script(
            "return document.getElementById('status').textContent",
            json!([]),
        )
        .await;
    assert!(
        !status.as_str().unwrap_or_default().starts_with("Explained"),
        "the status line is the policies page's, not the explanation's: {status}"
    );
    let set = browser.wait("#policies-body").await;
    let set = browser.text(&set).await;
    assert!(
        !set.contains("null"),
        "no absent value is written out: {set}"
    );
    assert!(
        set.contains("✓ user-tenant-isolation — proven"),
        "each invariant is listed with its status: {set}"
    );
    let option = browser
        .wait("#draft-file option[value=\"grants.cedar\"]")
        .await;
    browser.click(&option).await;
    let account = browser.wait("#draft-account").await;
    browser.clear(&account).await;
    browser.type_text(&account, "acct-1").await;
    let text = browser.wait("#draft-text").await;
    browser.clear(&text).await;
    browser
        .type_text(&text, &super::billing_needs_orders())
        .await;
    let preview = browser.wait("#draft-button").await;
    browser.click(&preview).await;
    let result = browser.wait("#draft-result[data-flips]").await;
    let flips = browser
        .script(
            "return arguments[0].getAttribute('data-flips')",
            json!([result]),
        )
        .await;
    assert_eq!(
        flips,
        json!("4"),
        "bill loses the three billing actions and billing mail"
    );
    browser
        .wait(".flip[data-user=\"bill\"][data-action=\"payInvoice\"]")
        .await;
    save_screenshot(&browser, "draft-1280.png").await;
    assert!(
        app.allows("bill", "payInvoice", ("Invoice", "inv-1"), "acct-1")
            .await,
        "the draft was not deployed"
    );

    let violations = browser
        .script("return window.cspViolations", json!([]))
        .await;
    assert_eq!(violations, json!([]), "nothing the page did broke its CSP");

    browser.resize(390, 844).await;
    browser
        .goto(&format!("{}/console#/account/acct-1", app.base))
        .await;
    browser.wait("#account[data-loaded=\"acct-1\"]").await;
    let fits = browser
        .script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1",
            json!([]),
        )
        .await;
    assert_eq!(fits, json!(true), "no sideways page scroll at phone width");
    assert!(cell_text(&browser, "bill", "payInvoice")
        .await
        .contains("allow"));
    save_screenshot(&browser, "account-390.png").await;
    browser
        .script(
            "document.getElementById('matrix-title').scrollIntoView()",
            json!([]),
        )
        .await;
    save_screenshot(&browser, "matrix-390.png").await;
    // Scrolled sideways, the member column stays in view and covers the cells passing under it:
    // across its whole width, what is on top is the member cell itself (where it is in view).
    let covered = browser
        .script(
            "const scroll = document.querySelector('#account-body .matrix').closest('.scroll'); \
             scroll.scrollLeft = 170; \
             const leaks = []; \
             for (const th of scroll.querySelectorAll('tbody th.member')) { \
               const r = th.getBoundingClientRect(); \
               const ys = [r.top + 1, r.top + r.height / 2, r.bottom - 1].filter((y) => y < innerHeight); \
               for (const y of ys) { \
                 for (let x = Math.ceil(r.left); x < r.right - 1; x++) { \
                   const hit = document.elementFromPoint(x, y); \
                   if (!hit || !th.contains(hit)) leaks.push(th.textContent + '@' + x); \
                 } \
               } \
             } \
             const member = getComputedStyle(scroll.querySelector('tbody th.member')); \
             return [scroll.scrollLeft, leaks, getComputedStyle(scroll.querySelector('table')).borderCollapse, member.borderRightWidth];",
            json!([]),
        )
        .await;
    save_screenshot(&browser, "matrix-scrolled-390.png").await;
    browser
        .script(
            "document.querySelector('#account-body .matrix').closest('.scroll').scrollLeft = 0",
            json!([]),
        )
        .await;
    assert!(
        covered[0].as_f64().unwrap_or(0.0) > 100.0,
        "the matrix scrolled: {covered}"
    );
    assert_eq!(
        covered[1],
        json!([]),
        "cells show beside the member column: {covered}"
    );
    assert_eq!(
        covered[2],
        json!("separate"),
        "collapsed borders are painted apart from a sticky cell, letting cells show past it"
    );
    assert_eq!(
        covered[3],
        json!("1px"),
        "the member column draws its own edge: {covered}"
    );

    let cell = browser
        .wait("button.cell[data-user=\"mia\"][data-action=\"payInvoice\"]")
        .await;
    browser.click(&cell).await;
    browser
        .wait("#explain-result[data-decision=\"deny\"]")
        .await;
    let fits = browser
        .script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1",
            json!([]),
        )
        .await;
    assert_eq!(fits, json!(true), "explain fits a phone too");
    save_screenshot(&browser, "explain-390.png").await;
    browser.close().await;
}
