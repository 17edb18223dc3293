-- Invitations, contacts and mail preferences.

-- An offer to join an account with a role and grants, for one email address.
-- The token is shown once; only its SHA-256 is kept. Resending replaces the hash.
create table invitation (
    invitation_id text primary key,
    account_id    text not null references account (account_id) on delete cascade,
    email         text not null,
    role          text not null check (role in ('admin', 'member')),
    grants        text not null default '[]',
    invited_by    text not null,
    token_hash    text not null unique,
    state         text not null check (state in ('pending', 'accepted', 'cancelled', 'expired')),
    accepted_by   text,
    created_at    bigint not null,
    expires_at    bigint not null,
    updated_at    bigint not null
);
-- At most one open invitation per account and email, whatever its case.
create unique index invitation_pending_key on invitation (account_id, lower(email)) where state = 'pending';

-- People who receive mail for an account but cannot log in.
create table contact (
    contact_id text primary key,
    account_id text not null references account (account_id) on delete cascade,
    name       text not null,
    email      text not null,
    phone      text,
    -- JSON array of the mail topics the contact opted into.
    topics     text not null default '[]',
    created_at bigint not null,
    updated_at bigint not null
);
create index contact_account_idx on contact (account_id);

-- Members' own mail topics per account; everything until they opt out.
alter table membership add column topics text not null default '["billing","domains","general","services","support"]';
