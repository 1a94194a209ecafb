-- Validation detail: warnings on rows that still loaded, and results per file.

create table raw.row_warnings (
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
    message varchar not null
);
comment on table raw.row_warnings is 'Rows that failed a warning-level check: they loaded, and the weekly email mentions them.';

create table raw.validation_file_results (
    run_id varchar not null,
    dataset varchar not null,
    source_file varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    unexpected_count bigint not null
);
comment on table raw.validation_file_results is 'Great Expectations failures per run, file and expectation (how many rows of that file failed).';
