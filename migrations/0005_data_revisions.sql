-- What makes cached decisions safe to share and impossible to bring back after a write.

-- The identity of this database's data, chosen once (by Portier, right after this
-- migration, since SQL has no portable random id): cache keys carry it, so two deployments
-- that share one Redis never answer from each other's decisions.
create table data_identity (
    data_identity_id integer primary key,
    identity         text not null
);

-- The revision clock: every write transaction that changes what a decision rests on moves
-- it forward by one while holding this row's lock until it commits, so revisions commit in
-- the order they are numbered and a reader that has seen revision N has seen every write
-- numbered N or below.
create table revision_clock (
    revision_clock_id integer primary key,
    revision          bigint not null
);
insert into revision_clock (revision_clock_id, revision) values (1, 0);

-- The revision of the last write that touched each user (`u:<id>`) or account (`a:<id>`),
-- written in that write's own transaction: every replica reads the rows past the revision
-- it has seen and invalidates what they name, so an acknowledged write is never undone by a
-- cache that missed it (a Redis outage, a writer that stopped or crashed right after).
create table data_revision (
    subject  text primary key,
    revision bigint not null
);
create index data_revision_revision_idx on data_revision (revision);
