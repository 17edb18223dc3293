-- Portier's store: people, accounts, memberships with grants, service assignments, audit.
-- Ids are the portal's own (text). Timestamps are Unix milliseconds. The SQL is the same on
-- SQLite and PostgreSQL, so one folder of migrations serves both.

-- A person who can log in. Named app_user because `user` is reserved in PostgreSQL.
create table app_user (
    user_id            text primary key,
    email              text not null,
    display_name       text not null,
    -- Where mail goes when it differs from the login email.
    notification_email text,
    status             text not null check (status in ('invited', 'active', 'suspended')),
    created_at         bigint not null,
    updated_at         bigint not null
);
-- Logins are unique whatever their case.
create unique index app_user_email_key on app_user (lower(email));

-- The billed customer, with exactly one owner.
create table account (
    account_id text primary key,
    name       text not null,
    status     text not null check (status in ('active', 'closed')),
    owner_id   text not null references app_user (user_id),
    created_at bigint not null,
    updated_at bigint not null
);
create index account_owner_idx on account (owner_id);

-- A user's place in an account. The owner has a row too (role admin); who owns is
-- account.owner_id, so ownership has a single source of truth.
create table membership (
    account_id text not null references account (account_id) on delete cascade,
    user_id    text not null references app_user (user_id),
    role       text not null check (role in ('admin', 'member')),
    -- JSON array of grant names; which names are valid is the schema's business.
    grants     text not null default '[]',
    created_at bigint not null,
    updated_at bigint not null,
    primary key (account_id, user_id)
);
-- "Accounts to switch between" and "still a member somewhere?" read by user.
create index membership_user_idx on membership (user_id);

-- Members a service is assigned to. Removing the membership removes its assignments.
create table service_assignment (
    account_id text not null,
    service_id text not null,
    user_id    text not null,
    created_at bigint not null,
    primary key (account_id, service_id, user_id),
    foreign key (account_id, user_id) references membership (account_id, user_id) on delete cascade
);

-- Every change, written in the transaction of the change itself. Ids are UUIDv7: they sort
-- by time on every backend, which pages by them.
create table audit_event (
    audit_event_id text primary key,
    account_id     text,
    actor          text not null,
    action         text not null,
    target         text not null,
    before_json    text,
    after_json     text,
    created_at     bigint not null
);
create index audit_event_account_idx on audit_event (account_id, audit_event_id);
