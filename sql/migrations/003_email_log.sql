-- Send log of the weekly summaries: a re-run never sends the same summary to the same
-- recipient twice (medsos run --resend / DAG param resend sends again on purpose).

create table raw.email_log (
    iso_week varchar not null,
    office_code varchar not null,
    recipient varchar not null,
    subject varchar not null,
    message_id varchar,
    status varchar not null,
    attempts integer not null,
    error varchar,
    run_id varchar,
    logged_at timestamptz not null
);
comment on table raw.email_log is 'Every weekly summary sent (or that failed to send): week, office, recipient, attempts.';
