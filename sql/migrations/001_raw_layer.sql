-- Raw layer: what was loaded, as loaded, with lineage back to the landing file and row.
-- Applied once; recorded in meta.schema_migrations.

create schema if not exists raw;
create schema if not exists staging;
create schema if not exists core;
create schema if not exists marts;

create table raw.runs (
    run_id varchar primary key,
    iso_week varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,
    files_seen integer,
    files_processed integer,
    rows_loaded integer,
    rows_quarantined integer,
    message varchar
);
comment on table raw.runs is 'One row per pipeline run (CLI or Airflow): which week, when, and what it did.';

create table raw.files (
    relative_path varchar primary key,
    delivery_week varchar not null,
    office_code varchar,
    sha256 varchar not null,
    size_bytes bigint,
    platform varchar,
    export_kind varchar,
    encoding varchar,
    status varchar not null,
    status_reason varchar,
    rows_in_file integer,
    rows_loaded integer,
    rows_quarantined integer,
    duplicate_of varchar,
    superseded_by varchar,
    run_id varchar,
    processed_at timestamptz
);
comment on table raw.files is 'Manifest of every landing file: what it was recognised as, how many rows it gave, and what became of it (loaded, loaded_with_quarantine, rejected, duplicate, superseded).';

create table raw.post_snapshots (
    platform varchar not null,
    office_code varchar not null,
    account_handle varchar,
    account_id varchar,
    post_id varchar not null,
    published_at timestamptz not null,
    published_local timestamp not null,
    publish_time_precision varchar not null,
    post_type varchar not null,
    caption varchar,
    permalink varchar,
    views bigint,
    reach bigint,
    impressions bigint,
    likes bigint,
    comments bigint,
    shares bigint,
    saves bigint,
    duration_seconds double,
    watch_time_hours double,
    metric_definition varchar,
    snapshot_at timestamptz not null,
    source_file varchar not null,
    source_sheet varchar,
    source_row integer,
    delivery_week varchar not null,
    run_id varchar not null
);
comment on table raw.post_snapshots is 'Every post as each export file showed it (lifetime-to-date numbers at snapshot_at). Never summed: the latest snapshot of a post wins in core.posts.';

create table raw.account_daily (
    platform varchar not null,
    office_code varchar not null,
    account_handle varchar,
    metric_date date not null,
    followers bigint,
    followers_gained bigint,
    followers_lost bigint,
    metric_definition varchar,
    snapshot_at timestamptz not null,
    source_file varchar not null,
    source_sheet varchar,
    source_row integer,
    delivery_week varchar not null,
    run_id varchar not null
);
comment on table raw.account_daily is 'Account-level daily figures (followers, new followers) as each export file showed them.';

create table raw.quarantine (
    run_id varchar not null,
    source_file varchar not null,
    source_sheet varchar,
    source_row integer,
    platform varchar,
    office_code varchar,
    post_id varchar,
    column_name varchar,
    value varchar,
    check_name varchar not null,
    severity varchar not null,
    message varchar not null,
    row_json varchar
);
comment on table raw.quarantine is 'Rows held back from the warehouse: file, row, column, value and the check that failed. Fix the file and drop it again to re-process.';

create table raw.validation_results (
    run_id varchar not null,
    dataset varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    why varchar,
    validated_at timestamptz not null
);
comment on table raw.validation_results is 'Great Expectations result of every expectation in every run.';
