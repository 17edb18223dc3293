-- The owner's own rules for an account: the roles they define, and its security
-- requirements. Both are facts of the account, so a write to them moves the account's
-- revision, and every cached decision on the account is re-decided.

-- The account's own roles: a JSON object, name -> {"grants": [...], "description": "..."}.
alter table account add column roles text not null default '{}';
-- When its members must have passed a second factor: none, sensitive or all.
alter table account add column require_mfa text not null default 'none'
    check (require_mfa in ('none', 'sensitive', 'all'));
-- Where its members and keys may act from: a JSON list of CIDR ranges; empty: anywhere.
alter table account add column allowed_ips text not null default '[]';

-- The roles a membership names (a JSON list of names): the account's own or presets.
alter table membership add column roles text not null default '[]';
