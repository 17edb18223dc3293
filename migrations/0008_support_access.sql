-- Support access: the hosting company's staff as named agents, acting on an account only with
-- its owner's consent, and the break-glass record of a supervisor acting without one.

-- An agent: one of the hosting company's staff. Deleting one revokes its named consents.
create table agent (
    agent_id     text primary key,
    email        text not null,
    display_name text not null,
    role         text not null check (role in ('support', 'supervisor')),
    created_at   bigint not null,
    updated_at   bigint not null
);

-- An owner's consent: what agents (one named, or any) may do on the account, why, and until
-- when. Kept after it ends, for the record. `agent_id` is not a foreign key, so the record
-- outlives the agent.
create table support_access (
    support_access_id text primary key,
    account_id        text not null references account (account_id),
    agent_id          text,
    grants            text not null,
    reason            text not null,
    granted_by        text not null,
    created_at        bigint not null,
    expires_at        bigint not null,
    revoked_at        bigint,
    revoked_by        text,
    -- Set once the expiry sweep has recorded its end in the audit trail.
    expiry_recorded   integer not null default 0
);
create index support_access_account_idx on support_access (account_id, expires_at);
create index support_access_expiry_idx on support_access (expires_at) where expiry_recorded = 0 and revoked_at is null;

-- Break-glass: one row per agent, account, reason and clock hour (UTC), whichever replica
-- records it first; the audit row is written with it.
create table break_glass (
    agent_id   text not null,
    account_id text not null references account (account_id),
    reason     text not null,
    hour       bigint not null,
    at         bigint not null,
    primary key (agent_id, account_id, reason, hour)
);
create index break_glass_agent_hour_idx on break_glass (agent_id, hour);
