-- Time-limited access: a membership may end by itself at expires_at (Unix milliseconds).
-- Checks treat it as ended from that instant; the sweep then removes the row and records
-- the expiry in the audit trail once. The owner's membership never expires.
alter table membership add column expires_at bigint;
create index membership_expiry_idx on membership (expires_at) where expires_at is not null;

-- The end of the access an invitation offers; accepting copies it to the membership.
alter table invitation add column membership_expires_at bigint;
