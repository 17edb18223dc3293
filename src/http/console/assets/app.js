// Portier console: plain JavaScript, no build step. Text is always set with textContent,
// never parsed as HTML. The admin token lives in this tab's sessionStorage and goes out only
// in the Authorization header.
"use strict";

const TOKEN_KEY = "portier.console.token";
const TOPICS = ["general", "billing", "support", "services", "domains"];
const $ = (id) => document.getElementById(id);

// ---- Small DOM helpers --------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function table(headers, rows, options = {}) {
  const head = el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h }))));
  const body = el("tbody", {}, rows.map((cells) =>
    el("tr", {}, cells.map((c, i) => el("td", { "data-label": headers[i] }, c)))));
  const wrap = el("div", { class: options.stack === false ? "scroll" : "scroll stack" },
    el("table", {}, options.caption ? el("caption", { text: options.caption }) : null, head, body));
  return rows.length ? wrap : el("p", { class: "legend", text: options.empty || "None." });
}

function decisionBadge(decision) {
  const allow = decision === "allow";
  return el("span", { class: "badge " + (allow ? "allow" : "deny") }, allow ? "✓ allow" : "✗ deny");
}

function when(time) {
  return time ? new Date(time).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "";
}

function say(text) { $("status").textContent = text; }

// ---- The API, with the token from session storage ------------------------------------

async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Authorization: "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (response.status === 401) { signOut("The token was refused; sign in again."); }
  if (!response.ok) {
    const error = (json && json.error) || {};
    const failure = new Error(error.message || ("HTTP " + response.status));
    failure.status = response.status;
    failure.problems = error.problems || [];
    failure.field = error.field;
    throw failure;
  }
  return json;
}

const enc = encodeURIComponent;

// ---- Sign in / out and routing ------------------------------------------------------

const SECTIONS = ["signin", "find", "user", "account", "explain", "policies"];

// Replaces an element's children, leaving out the absent ones (`replaceChildren` would
// write them as the text "null").
function fill(parent, ...children) {
  parent.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

function show(section) {
  for (const id of SECTIONS) $(id).hidden = id !== section;
  $("nav").hidden = section === "signin";
  say(""); // a status line belongs to the page that wrote it
}

// A column group as people read it: a grant's (`billing grant`), an action group's in words
// (`StaffOnly` → `Staff only`), or the actions in no group.
function groupLabel(name) {
  if (!name) return "other actions";
  if (name === name.toLowerCase()) return name + " grant";
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// A recipient as the mail table names it: a contact, or a member by their role (owner, admin,
// member).
function recipientRole(recipient, members) {
  if (recipient.kind !== "member") return recipient.kind;
  const member = members.find((m) => m.user_id === recipient.id);
  return member ? member.role : "member";
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("signin-error").textContent = message || "";
  show("signin");
  $("token").focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token").value = "";
  try {
    await api("GET", "/v1/console/find?q=" + enc("-"));
    $("signin-error").textContent = "";
    location.hash = "#/find";
    route();
  } catch (e) {
    if (e.status !== 401) signOut("Sign-in failed: " + e.message);
  }
}

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return signOut();
  const [, page, id] = (location.hash || "#/find").split("/").map(decodeURIComponent);
  try {
    if (page === "account" && id) await openAccount(id);
    else if (page === "user" && id) await openUser(id);
    else if (page === "explain") { show("explain"); }
    else if (page === "policies") await openPolicies();
    else { show("find"); }
  } catch (e) {
    say("Could not load: " + e.message);
  }
  $("main").focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// ---- Find ------------------------------------------------------------------------------

async function find(event) {
  event.preventDefault();
  const q = $("q").value.trim();
  if (!q) return;
  const found = await api("GET", "/v1/console/find?q=" + enc(q)).catch((e) => { say(e.message); return null; });
  if (!found) return;
  const out = $("find-results");
  out.replaceChildren(
    el("h3", { text: "Accounts" }),
    table(["Account", "Name", "Status", "Owner"], found.accounts.map((a) => [
      el("a", { href: "#/account/" + enc(a.id), class: "result-account", "data-id": a.id, text: a.id }),
      a.name, a.status, el("a", { href: "#/user/" + enc(a.owner_id), text: a.owner_id }),
    ]), { empty: "No account matches." }),
    el("h3", { text: "Users" }),
    table(["User", "Name", "Email", "Status"], found.users.map((u) => [
      el("a", { href: "#/user/" + enc(u.id), class: "result-user", "data-id": u.id, text: u.id }),
      u.display_name, u.email, u.status,
    ]), { empty: "No user matches." }),
  );
  say(`${found.accounts.length} account(s), ${found.users.length} user(s) found.`);
}

async function openUser(id) {
  show("user");
  const [user, { accounts }] = await Promise.all([
    api("GET", "/v1/users/" + enc(id)),
    api("GET", "/v1/users/" + enc(id) + "/accounts"),
  ]);
  $("user-title").textContent = "User " + user.id;
  $("user-body").replaceChildren(
    facts([["Name", user.display_name], ["Login email", user.email],
      ["Notification email", user.notification_email || "(login email)"], ["Status", user.status]]),
    el("h3", { text: "Accounts" }),
    table(["Account", "Name", "Role"], accounts.map((a) => [
      el("a", { href: "#/account/" + enc(a.account_id), text: a.account_id }),
      a.name, a.role,
    ]), { empty: "Not a member of any account." }),
  );
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.map(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
}

// ---- Account page -----------------------------------------------------------------------

async function openAccount(id) {
  show("account");
  const base = "/v1/accounts/" + enc(id);
  $("account-title").textContent = "Account " + id;
  $("account-body").replaceChildren(el("p", { text: "Loading…" }));
  say("Loading account " + id + "…");
  const [account, members, invitations, keys, services, contacts, matrix, roles, presets, security,
    support, breakGlass, ...recipients] = await Promise.all([
    api("GET", base), api("GET", base + "/members"), api("GET", base + "/invitations"),
    api("GET", base + "/api-keys"),
    api("GET", "/v1/console/accounts/" + enc(id) + "/services"), api("GET", base + "/contacts"),
    api("GET", "/v1/console/accounts/" + enc(id) + "/matrix"),
    api("GET", base + "/roles"), api("GET", "/v1/role-presets"), api("GET", base + "/security"),
    api("GET", base + "/support-access"),
    api("GET", base + "/audit?action=support.break_glass&limit=50"),
    ...TOPICS.map((t) => api("GET", base + "/recipients?topic=" + t)),
  ]);
  const audit = el("div", { id: "audit" });
  $("account-title").textContent = `${account.name} (${account.id})`;
  $("account-body").replaceChildren(
    facts([["Status", account.status],
      ["Owner", el("a", { href: "#/user/" + enc(account.owner_id), text: account.owner_id })],
      ["Created", when(account.created_at)]]),
    el("h3", { id: "members-title", text: "Members" }),
    table(["User", "Name", "Role", "Status", "Grants", "Roles", "Access ends"], members.members.map((m) => [
      el("a", { href: "#/user/" + enc(m.user_id), text: m.user_id }), m.display_name, m.role, m.status,
      m.role === "member" ? grantTags(m.grants) : "all (" + m.role + ")",
      grantTags(m.roles),
      m.expires_at ? when(m.expires_at) : "never",
    ])),
    el("h3", { id: "security-title", text: "Security requirements" }),
    facts([["Second factor", { none: "not required", sensitive: "required for sensitive actions",
      all: "required for every action" }[security.require_mfa]],
    ["Allowed networks", security.allowed_ips.length ? security.allowed_ips.join(", ") : "anywhere"]]),
    el("h3", { id: "roles-title", text: "Roles" }),
    table(["Role", "Grants", "Description", "Defined by"], [
      ...roles.roles.map((r) => [r.name, grantTags(r.grants), r.description, "the owner"]),
      ...presets.roles.map((r) => [r.name, grantTags(r.grants), r.description, "preset"]),
    ], { empty: "No role." }),
    el("h3", { text: "Pending invitations" }),
    table(["Email", "Role", "Grants", "Invited by", "Expires"], invitations.invitations
      .filter((i) => i.state === "pending")
      .map((i) => [i.email, i.role, grantTags(i.grants), i.invited_by, when(i.expires_at)]),
    { empty: "No pending invitation." }),
    el("h3", { id: "keys-title", text: "API keys" }),
    table(["Name", "Grants", "Created by", "Expires", "Last used"], keys.api_keys.map((k) => [
      k.name, grantTags(k.grants),
      el("a", { href: "#/user/" + enc(k.created_by), text: k.created_by }),
      k.expires_at ? when(k.expires_at) : "never", k.last_used_at ? when(k.last_used_at) : "never",
    ]), { empty: "No API key." }),
    el("h3", { id: "support-title", text: "Support access" }),
    table(["Agent", "Grants", "Reason", "Granted by", "Ends", "State"], support.support_access.map((a) => [
      a.agent || "any agent", grantTags(a.grants), a.reason, a.granted_by, when(a.expires_at),
      a.current ? "current" : a.revoked_at ? "revoked " + when(a.revoked_at) + " by " + a.revoked_by : "ended",
    ]), { empty: "The owner has given no support access." }),
    el("h3", { id: "break-glass-title", text: "Break-glass events" }),
    table(["When", "Agent", "Reason", "Action", "Resource"], breakGlass.events.map((e) => [
      when(e.created_at), e.after.agent, e.after.reason, e.after.action, e.after.resource,
    ]), { empty: "No agent has acted without consent." }),
    el("h3", { id: "matrix-title", text: "Permission matrix" }),
    matrixView(matrix),
    el("h3", { text: "Service assignments" }),
    table(["Service", "Assigned to"], services.map((s) => [s.service_id, s.assignees.join(", ")]),
      { empty: "No service is assigned to a member." }),
    el("h3", { text: "Contacts" }),
    table(["Name", "Email", "Phone", "Mail topics"], contacts.contacts.map((c) =>
      [c.name, c.email, c.phone || "", grantTags(c.preferences)]), { empty: "No contact." }),
    el("h3", { text: "Who receives which mail" }),
    table(["Topic", "Recipients"], recipients.map((r) => [r.topic,
      r.recipients.map((x) => `${x.name} <${x.email}> (${recipientRole(x, members.members)})`)
        .join("; ") || "nobody"])),
    el("h3", { text: "Audit trail" }),
    audit,
  );
  $("account").setAttribute("data-loaded", id);
  $("draft-account").value = id;
  $("action-list").replaceChildren(...matrix.columns.map((c) => el("option", { value: c.action })));
  await auditPage(id, null, audit);
  say(`Account ${id}: ${matrix.rows.length} member(s), key(s) and agent(s) × ${matrix.columns.length} action(s).`);
}

function grantTags(list) {
  return list.length ? list.map((g) => el("span", { class: "tag", text: g })) : "none";
}

function rowName(row) {
  if (row.role === "api key") return "API key " + row.display_name;
  return row.role === "agent" ? "Agent " + row.user_id : row.user_id;
}

function matrixView(matrix) {
  const groups = [];
  for (const column of matrix.columns) {
    const last = groups[groups.length - 1];
    if (last && last.name === column.group) last.span += 1;
    else groups.push({ name: column.group, span: 1 });
  }
  const groupRow = el("tr", {}, el("th", { class: "member", scope: "col", rowspan: "2", text: "Member" }),
    groups.map((g) => el("th", { class: "group", scope: "colgroup", colspan: String(g.span),
      text: groupLabel(g.name) })));
  const actionRow = el("tr", {}, matrix.columns.map((c) =>
    el("th", { class: "action", scope: "col", title: `${c.action} on ${c.resource_type} ${c.resource_id}`, text: c.action })));
  const rows = matrix.rows.map((row) => el("tr", {},
    el("th", { class: "member", scope: "row" }, row.role === "api key" ? row.display_name : row.user_id, el("br"),
      el("span", { class: "legend", text: row.role + (row.status === "active" ? "" : ", " + row.status) }),
      row.role === "member" || row.role === "api key" || row.role === "agent"
        ? el("span", { class: "legend grants", text: " · " + (row.grants.join(", ") || "no grant")
          + (row.roles.length ? " (" + row.roles.join(", ") + ")" : "") })
        : null),
    row.cells.map((cell, i) => {
      const column = matrix.columns[i];
      const allow = cell.decision === "allow";
      return el("td", { class: "cell" }, el("button", {
        type: "button", class: "cell " + cell.decision,
        "data-user": row.user_id, "data-action": column.action, "data-decision": cell.decision,
        "aria-label": `${rowName(row)} ${column.action}: ${cell.decision}. Explain`,
        title: cell.reasons.length ? "decided by " + cell.reasons.join(", ") : "no policy allows it",
        onclick: () => explainCell(matrix.account, row.principal, column),
      }, allow ? "✓ allow" : "✗ deny"));
    })));
  return el("div", {},
    el("p", { class: "legend", text: "Each cell is a decision of the check path (policy revision "
      + matrix.policy_revision + "). ✓ allow / ✗ deny; select a cell to explain it. "
      + "Invoices, orders and services are a sample one, assigned to nobody; each cell is asked "
      + "as a session that passed a second factor from an allowed network." }),
    el("div", { class: "scroll" }, el("table", { class: "matrix", "aria-labelledby": "matrix-title" },
      el("thead", {}, groupRow, actionRow), el("tbody", {}, rows))),
    matrix.members_not_shown ? el("p", { text: matrix.members_not_shown + " more member(s), key(s) or agent(s) not shown." }) : null);
}

async function auditPage(account, before, into) {
  const query = "?limit=20" + (before ? "&before=" + enc(before) : "");
  const page = await api("GET", "/v1/accounts/" + enc(account) + "/audit" + query);
  const more = page.next_before
    ? el("button", { type: "button", id: "audit-older", text: "Older events",
      onclick: () => auditPage(account, page.next_before, into) })
    : el("p", { class: "legend", text: "End of the trail." });
  into.replaceChildren(
    table(["When", "Who", "What", "Target"], page.events.map((e) =>
      [when(e.created_at), e.actor, e.action, e.target]), { empty: "No recorded change." }),
    more);
}

// ---- Explain ------------------------------------------------------------------------------

function explainCell(account, principal, column) {
  $("ex-principal").value = principal;
  $("ex-action").value = column.action;
  $("ex-resource-type").value = column.resource_type;
  $("ex-resource-id").value = column.resource_id;
  $("ex-account").value = account;
  $("ex-context").value = "{}";
  location.hash = "#/explain";
  runExplain().then(() => {
    $("explain-result").focus({ preventScroll: true });
    $("explain-result").scrollIntoView({ block: "start" });
  });
}

async function explain(event) {
  event.preventDefault();
  await runExplain();
}

async function runExplain() {
  show("explain");
  const out = $("explain-result");
  out.removeAttribute("data-decision");
  let context;
  try { context = JSON.parse($("ex-context").value || "{}"); } catch (e) {
    out.replaceChildren(el("p", { class: "error", role: "alert", text: "Context is not JSON: " + e.message }));
    return;
  }
  const body = {
    principal: $("ex-principal").value.trim(), action: $("ex-action").value.trim(),
    resource: { type: $("ex-resource-type").value.trim(), id: $("ex-resource-id").value.trim() },
    context,
  };
  const account = $("ex-account").value.trim();
  if (account) body.account = account;
  out.replaceChildren(el("p", { text: "Evaluating…" }));
  let answer;
  try { answer = await api("POST", "/v1/console/explain", body); } catch (e) {
    out.replaceChildren(el("p", { class: "error", role: "alert",
      text: (e.field ? e.field + ": " : "") + e.message }));
    return;
  }
  renderExplanation(out, body, answer);
}

function renderExplanation(out, body, answer) {
  const d = answer.decision;
  const subject = `${body.principal} → ${body.action} on ${body.resource.type}::"${body.resource.id}"`;
  const parts = [el("p", {}, decisionBadge(d.decision), " ", subject),
    el("p", { class: "legend", text: `policy revision ${d.policy_revision} · decision ${d.decision_id}` })];
  if (answer.note) parts.push(el("p", { class: "note", text: "Denied before evaluation: " + answer.note }));
  if (answer.deciding.length) {
    parts.push(el("h3", { text: d.decision === "allow" ? "Allowed by" : "Denied by" }));
    parts.push(...answer.deciding.map(policyCard));
  } else if (d.decision === "deny" && !answer.note) {
    parts.push(el("h3", { text: "No policy allows it. Permits for this action, and what was not met:" }));
    parts.push(...answer.permits.map((p) => policyCard(p.policy, p.conditions)));
  }
  if (d.errors.length) parts.push(el("h3", { text: "Evaluation errors" }), el("pre", { text: d.errors.join("\n") }));
  parts.push(el("details", { id: "explain-entities" }, el("summary", { text: "Facts Portier used (entities)" }),
    el("pre", { text: JSON.stringify(answer.entities, null, 2) })));
  out.replaceChildren(...parts);
  out.setAttribute("data-decision", d.decision);
  say("Explained: " + d.decision + ".");
}

function policyCard(policy, conditions) {
  const card = el("article", { class: "policy " + (conditions ? "missed-permit" : "deciding"), "data-id": policy.id },
    el("h4", {}, `${policy.effect} ${policy.id} `, el("span", { class: "where", text: `${policy.file}:${policy.line}` })),
    el("pre", { text: policy.text }));
  if (conditions) {
    card.append(el("ul", { class: "conditions" }, conditions.map((c) => el("li", {
      class: "condition " + (c.met ? "met" : "unmet"),
    }, el("strong", { text: (c.met ? "✓ met" : "✗ not met") + ` (${c.kind}) ` }), el("code", { text: c.text }),
    c.error ? el("span", { class: "legend", text: " — error: " + c.error }) : null))));
  }
  return card;
}

// ---- Policies and drafts ------------------------------------------------------------------

let policyFiles = [];

async function openPolicies() {
  show("policies");
  const set = await api("GET", "/v1/console/policies");
  policyFiles = set.policy_files;
  const tests = set.tests.ran
    ? el("p", {}, decisionBadge(set.tests.failed === 0 ? "allow" : "deny"),
      ` ${set.tests.passed} passed, ${set.tests.failed} failed`)
    : el("p", { text: set.tests.note });
  const violated = set.invariants.violated || [];
  const proven = set.invariants.proven || [];
  const invariants = set.invariants.files.length
    ? el("div", {},
      el("p", { text: `${set.invariants.files.length} files: ${set.invariants.status}` +
        (set.invariants.reason ? ` (${set.invariants.reason})` : "") }),
      el("ul", { id: "invariant-list" },
        ...violated.map((id) => el("li", { class: "invariant violated", "data-id": id, text: "✗ " + id + " — violated" })),
        ...proven.map((id) => el("li", { class: "invariant proven", "data-id": id, text: "✓ " + id + " — proven" }))))
    : el("p", { class: "legend", text: "No invariants (policies/invariants/) yet." });
  fill($("policies-body"),
    facts([["Serving revision", el("code", { id: "revision", text: set.revision })],
      ["Last reload", set.last_reload_error
        ? el("div", { class: "error" }, "✗ failed; the previous set keeps serving:",
          el("pre", { text: set.last_reload_error.join("\n") }))
        : "✓ no error"]]),
    el("h3", { text: "Policy tests" }), tests,
    set.tests.failed ? el("pre", { text: set.tests.output }) : null,
    el("h3", { text: "Invariants" }), invariants,
    el("h3", { text: "Files" }),
    ...set.policy_files.map((f) => el("details", {}, el("summary", { text: "policies/" + f.name }), el("pre", { text: f.text }))),
    ...set.schema_files.map((f) => el("details", {}, el("summary", { text: "schemas/" + f.name }), el("pre", { text: f.text }))),
  );
  const select = $("draft-file");
  const chosen = select.value;
  select.replaceChildren(...policyFiles.map((f) => el("option", { value: f.name, text: f.name })));
  if (chosen) select.value = chosen;
  if (!$("draft-text").value) fillDraft();
  $("policies").setAttribute("data-loaded", set.revision);
}

function fillDraft() {
  const file = policyFiles.find((f) => f.name === $("draft-file").value);
  $("draft-text").value = file ? file.text : "";
}

async function draft(event) {
  event.preventDefault();
  const out = $("draft-result");
  out.removeAttribute("data-flips");
  out.replaceChildren(el("p", { text: "Evaluating the draft…" }));
  const body = { account: $("draft-account").value.trim(), file: $("draft-file").value, text: $("draft-text").value };
  let preview;
  try { preview = await api("POST", "/v1/console/policies/draft", body); } catch (e) {
    const problems = e.problems || [];
    fill(out, el("p", { class: "error", role: "alert", text: "✗ " + e.message }),
      problems.length ? el("pre", { class: "problems", text: problems.join("\n") }) : null);
    out.setAttribute("data-flips", "invalid");
    return;
  }
  const flips = preview.flips.map((f) => [
    el("a", { href: "#/user/" + enc(f.user_id), text: f.user_id }), f.action,
    decisionBadge(f.before), decisionBadge(f.after), f.reasons_after.join(", ") || "no policy",
  ]);
  out.replaceChildren(
    el("p", { text: `${preview.flips.length} of ${preview.cells} cell(s) of ${body.account} would flip `
      + `(serving ${preview.serving_revision}, draft ${preview.draft_revision}, not deployed).` }),
    table(["Member", "Action", "Now", "With the draft", "Deciding policies with the draft"], flips,
      { empty: "No cell would change." }),
  );
  out.querySelectorAll("tbody tr").forEach((tr, i) => {
    tr.classList.add("flip");
    tr.setAttribute("data-user", preview.flips[i].user_id);
    tr.setAttribute("data-action", preview.flips[i].action);
  });
  out.setAttribute("data-flips", String(preview.flips.length));
  out.scrollIntoView({ block: "nearest" });
  say(`Draft: ${preview.flips.length} cell(s) would flip.`);
}

// ---- Start ----------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  $("find-form").addEventListener("submit", find);
  $("explain-form").addEventListener("submit", explain);
  $("draft-form").addEventListener("submit", draft);
  $("draft-file").addEventListener("change", fillDraft);
  window.addEventListener("hashchange", route);
  route();
});
