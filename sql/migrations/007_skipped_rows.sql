-- Rows an export writes that are no post and no day (X's 'status/undefined' rows, Meta's
-- "An error occurred while computing metadata" rows) are counted, not quarantined: for
-- every loaded file rows_in_file = rows_loaded + rows_quarantined + rows_duplicate + rows_skipped.

alter table raw.files add column rows_skipped integer default 0;

update raw.files set rows_skipped = 0 where rows_skipped is null;
