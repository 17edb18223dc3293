-- Emails are kept in one normal form that Portier computes (trimmed, lowercased by Unicode's
-- rules, composed), so uniqueness and "is this the invited address" are plain equality on
-- both backends. lower() below folds what the database can (only ASCII on SQLite); Portier
-- normalizes the remaining rows itself right after this migration.
drop index app_user_email_key;
update app_user set email = lower(email), notification_email = lower(notification_email);
create unique index app_user_email_key on app_user (email);

drop index invitation_pending_key;
update invitation set email = lower(email);
create unique index invitation_pending_key on invitation (account_id, email) where state = 'pending';

update contact set email = lower(email);

-- A user's own audit trail (GET /v1/users/{id}/audit) reads by target.
create index audit_event_target_idx on audit_event (target, audit_event_id);

-- One row that readiness writes to on SQLite: proof that the file still takes writes.
create table store_probe (
    store_probe_id integer primary key,
    probed_at      bigint not null
);
insert into store_probe (store_probe_id, probed_at) values (1, 0);
