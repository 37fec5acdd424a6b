-- One row per learning event that counts: voided statements dropped, IRIs reduced to the ids the
-- content and item banks use, each event placed on its content (an item answer on its quiz),
-- its class week, and an estimate of the engaged seconds behind it.
{{ config(materialized='view') }}

with events as (

    select * from {{ ref('stg_silver__learning_events') }}

),

voids as (

    select voided_statement_id from {{ ref('stg_silver__statement_voids') }}

),

content as (

    select content_id, content_type, module, week from {{ ref('stg_silver__content_items') }}

),

items as (

    select item_id, quiz_id from {{ ref('stg_silver__items') }}

),

classes as (

    select class_id, start_date from {{ ref('int_classes_calendared') }}

),

kept as (

    select
        events.*,
        -- xAPI activity ids are IRIs (https://lms.example/content/alg1-m1-q1); banks use the
        -- last path segment.
        case
            when events.content_id like '%://%' then regexp_extract(events.content_id, '([^/]+)/?$', 1)
            else events.content_id
        end as local_content_id
    from events
    where not coalesce(events.is_voided, false)
      and (events.statement_id is null
           or events.statement_id not in (select voided_statement_id from voids))

),

placed as (

    select
        kept.*,
        coalesce(content.content_id, items.quiz_id, kept.local_content_id) as resolved_content_id,
        items.item_id is not null and content.content_id is null as is_item_event,
        coalesce(
            content.content_type,
            quiz_content.content_type,
            case when items.item_id is not null then 'quiz' end,
            lower(kept.object_type)
        ) as content_type,
        coalesce(content.module, quiz_content.module) as module,
        cast(floor(date_diff('day', classes.start_date, kept.event_date) / 7) + 1 as bigint) as class_week,
        lead(kept.occurred_at) over (
            partition by kept.student_id, kept.class_id, kept.event_date
            order by kept.occurred_at, kept.event_id
        ) as next_occurred_at
    from kept
    left join content on content.content_id = kept.local_content_id
    left join items on items.item_id = kept.local_content_id
    left join content as quiz_content on quiz_content.content_id = items.quiz_id
    left join classes on classes.class_id = kept.class_id

),

final as (

    select
        event_id,
        event_date,
        occurred_at,
        student_id,
        class_id,
        resolved_content_id as content_id,
        local_content_id as activity_id,
        is_item_event,
        content_type,
        -- OULAD names VLE activity types (forumng, oucontent, url, ...): grouped into the
        -- families the engagement counts use.
        case
            when content_type in ('forumng', 'ouwiki', 'oucollaborate', 'ouelluminate') then 'forum'
            when content_type in ('oucontent', 'subpage', 'homepage', 'sharedsubpage', 'dualpane',
                                  'htmlactivity', 'glossary', 'page', 'webpage', 'document')
                then 'page'
            when content_type in ('externalquiz', 'questionnaire', 'quiz', 'assessment',
                                  'cmi.interaction') then 'quiz'
            when content_type in ('url', 'folder', 'dataplus', 'resource') then 'resource'
            when content_type in ('video', 'videoobject') then 'video'
            else coalesce(content_type, 'other')
        end as content_family,
        module,
        class_week,
        verb,
        object_type,
        source,
        statement_id,
        duration_s,
        event_count,
        score_scaled,
        is_success,
        is_completion,
        video_time_s,
        video_time_from_s,
        video_time_to_s,
        loaded_at,
        -- Time on task (gap method): the time to the student's next event in the class that
        -- day, capped, so overlapping reports (a video's played/paused/completed, a quiz and its
        -- items) are not counted twice; the day's last event counts its own duration or a
        -- default; a click count (OULAD) counts per click.
        case
            when event_count is not null then {{ var('active_seconds_per_click') }} * event_count
            when next_occurred_at is not null then least(
                date_diff('millisecond', occurred_at, next_occurred_at) / 1000.0,
                {{ var('active_gap_cap_s') }}
            )
            else least(
                coalesce(duration_s, {{ var('active_default_event_s') }}),
                {{ var('active_gap_cap_s') }}
            )
        end as engaged_s
    from placed

)

select * from final
