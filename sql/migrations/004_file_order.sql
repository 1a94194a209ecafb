-- Which of several files for the same office, week and export is in force is now worked
-- out when the tables are built (core.files_in_force) instead of being stored as a
-- status: a correction that is later rejected or withdrawn no longer hides the file it
-- replaced. Files remember when they were saved and first seen, which decides the order,
-- and whether their export lists posts (a delivery) or only account figures.

alter table raw.files add column first_seen_at timestamptz;
alter table raw.files add column file_modified_at timestamptz;
alter table raw.files add column lists_posts boolean;

update raw.files set first_seen_at = processed_at;

update raw.files
set lists_posts = export_kind not in ('youtube_chart_data', 'youtube_totals', 'tiktok_follower_history')
where export_kind is not null;

update raw.files
set status = case when rows_quarantined > 0 then 'loaded_with_quarantine' else 'loaded' end,
    superseded_by = null,
    status_reason = case when rows_quarantined > 0
                         then rows_quarantined || ' of ' || rows_in_file || ' rows quarantined; see raw.quarantine'
                    end
where status = 'superseded';

comment on table raw.files is 'Manifest of every landing file (a ZIP member is path::member): what it was recognised as, how many rows it gave, and what became of it (loaded, loaded_with_quarantine, rejected, duplicate, withdrawn). Which loaded file is in force: core.files_in_force.';
