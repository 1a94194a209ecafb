-- The landing-file manifest, renamed and cast.

with

source as (

    select * from raw.files

),

renamed as (

    select

        ---------- ids
        relative_path as source_file,
        delivery_week,
        office_code,
        sha256,

        ---------- recognition
        platform,
        export_kind,
        encoding,

        ---------- outcome
        status,
        status_reason,
        rows_in_file,
        rows_loaded,
        rows_quarantined,
        rows_duplicate,
        rows_skipped,
        duplicate_of,
        lists_posts,

        ---------- next to the other exports of its kind, office and week
        overlap,
        overlap_file,

        ---------- timing
        file_modified_at,
        first_seen_at,
        processed_at

    from source

)

select * from renamed
