-- What the last build of the tables was made from, so the next build can recompute only
-- the posts whose files changed. A different fingerprint (new SQL, thresholds or
-- keywords) makes the next build a full one.

create table if not exists meta.last_build (
    inputs_fingerprint varchar not null,
    built_through_week varchar not null,
    built_at timestamptz not null
);

-- Each office folder of the landing zone as it was when its files were last loaded: an
-- older week folder whose time is unchanged has had no file added, removed or renamed,
-- so a weekly run need not list it again.

create table if not exists meta.landing_folders (
    folder varchar primary key,  -- 'YYYY-Www/<office code>'
    modified_ns bigint not null
);
