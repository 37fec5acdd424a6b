-- one row per learning event (statement, click-count, page view): silver/learning_events, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'learning_events') }}

),

renamed as (

    select
        cast(event_id as varchar) as event_id,
        cast(event_date as date) as event_date,
        cast(occurred_at as timestamptz) as occurred_at,
        cast(student_id as varchar) as student_id,
        cast(class_id as varchar) as class_id,
        cast(content_id as varchar) as content_id,
        cast(verb as varchar) as verb,
        cast(object_type as varchar) as object_type,
        cast(source as varchar) as source,
        cast(statement_id as varchar) as statement_id,
        cast(duration_s as double) as duration_s,
        cast(event_count as bigint) as event_count,
        cast(score_scaled as double) as score_scaled,
        cast(is_success as boolean) as is_success,
        cast(is_completion as boolean) as is_completion,
        cast(video_time_s as double) as video_time_s,
        cast(video_time_from_s as double) as video_time_from_s,
        cast(video_time_to_s as double) as video_time_to_s,
        cast(is_voided as boolean) as is_voided,
        cast(extensions as varchar) as extensions,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
