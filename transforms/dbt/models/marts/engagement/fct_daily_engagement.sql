-- depends_on: {{ ref('stg_silver__learning_events') }}
-- One row per student per class per day with activity. Incremental: a run re-aggregates whole
-- days, those holding events loaded since the last run (late data included), and replaces them
-- (delete+insert on event_date, and a predicate overwrite of those days in the gold Delta table).
{% if built_on_spark() %}
{{ config(materialized='table', delta_export=false) }}
{{ spark_built('fct_daily_engagement') }}
{% else %}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='sync_all_columns',
        delta_replace_column='event_date',
    )
}}

with events as (

    select * from {{ ref('int_learning_events_resolved') }}
    {% if is_incremental() %}
    where event_date in (
        select distinct event_date - {{ var('engagement_lookback_days') }}
        from {{ ref('stg_silver__learning_events') }}
        where loaded_at > (select coalesce(max(source_loaded_at), '-infinity'::timestamptz) from {{ this }})
    )
    {% endif %}

),

final as (

    select
        student_id,
        class_id,
        event_date,
        min(class_week) as class_week,
        count(*) as n_events,
        cast(sum(coalesce(event_count, 1)) as bigint) as n_actions,
        {{ exact_minutes('engaged_s') }} as active_minutes,
        count(distinct content_id) as n_distinct_content,
        count(*) filter (where content_family = 'page') as n_page_events,
        count(*) filter (where content_family = 'video') as n_video_events,
        count(*) filter (where content_family = 'quiz') as n_quiz_events,
        count(*) filter (where content_family = 'resource') as n_resource_events,
        count(*) filter (where content_family = 'forum') as n_forum_events,
        count(*) filter (
            where content_family not in ('page', 'video', 'quiz', 'resource', 'forum')
        ) as n_other_events,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        max(loaded_at) as source_loaded_at,
        {{ curated_at() }} as curated_at
    from events
    group by student_id, class_id, event_date

)

select * from final
{% endif %}
