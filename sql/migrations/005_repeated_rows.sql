-- A row repeated in one export loads once; the manifest counts the copies, so for every
-- loaded file rows_in_file = rows_loaded + rows_quarantined + rows_duplicate.

alter table raw.files add column rows_duplicate integer default 0;

update raw.files set rows_duplicate = 0 where rows_duplicate is null;
