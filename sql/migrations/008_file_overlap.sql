-- Of several exports of the same kind, office and ISO week, every one counts now: every
-- post (and account day) any of them lists stays in the tables with the numbers of its
-- latest snapshot (core.files_in_force). The manifest says what each export is next to
-- the others of its kind, office and week: a cut-off or shorter copy of another, the
-- same posts in another encoding, and so on. Worked out when files are loaded.

alter table raw.files add column overlap varchar;      -- what the export is next to the others
alter table raw.files add column overlap_file varchar; -- the other export it is compared with

comment on table raw.files is 'Manifest of every landing file (a ZIP member is path::member): what it was recognised as, how many rows it gave, what became of it (loaded, loaded_with_quarantine, rejected, duplicate, withdrawn) and, in overlap, what it is next to the other exports of its kind, office and week (a shorter or cut-off copy, the same posts in another encoding …). Every loaded file counts: core.files_in_force.';
