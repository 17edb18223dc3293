-- API keys: machine principals a user creates for one account. Only the SHA-256 of the
-- secret is kept. `created_by` is not a foreign key: a key outlives its creator's row only to
-- be denied (its creator is unknown), and a write to the creator still names the key.
create table api_key (
    api_key_id   text primary key,
    account_id   text not null references account (account_id),
    name         text not null,
    grants       text not null,
    allowed_ips  text not null,
    created_by   text not null,
    created_at   bigint not null,
    expires_at   bigint,
    secret_hash  text not null,
    revoked_at   bigint,
    -- When the key was last presented or checked (kept at most once a minute per key).
    last_used_at bigint,
    -- Set once the expiry sweep has recorded the key's expiry in the audit trail.
    expiry_recorded integer not null default 0
);
create index api_key_account_idx on api_key (account_id);
create index api_key_creator_idx on api_key (created_by);
create index api_key_expiry_idx on api_key (expires_at) where expires_at is not null and expiry_recorded = 0;
