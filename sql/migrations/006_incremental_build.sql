-- What the last build of the tables was made from, so the next build can recompute only
-- the posts whose files changed. A different fingerprint (new SQL, thresholds or
-- keywords) makes the next build a full one.

create table if not exists meta.last_build (
    inputs_fingerprint varchar not null,
    built_through_week varchar not null,
    built_at timestamptz not null
);
