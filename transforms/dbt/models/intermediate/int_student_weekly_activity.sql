-- One row per student per class per class week with activity (weeks before the start count as
-- week 1, the first week whose cut-off they precede): the bricks of every "to date" feature.
with daily as (

    select * from {{ ref('fct_daily_engagement') }}

),

touched as (

    select
        student_id,
        class_id,
        greatest(first_touched_week, 1) as week,
        count(*) as n_content_first_touched
    from {{ ref('int_student_content_touched') }}
    group by all

),

weekly as (

    select
        student_id,
        class_id,
        greatest(class_week, 1) as week,
        sum(n_events) as n_events,
        {{ exact_sum('active_minutes') }} as active_minutes,
        count(*) as n_active_days,
        sum(n_video_events) as n_video_events,
        sum(n_quiz_events) as n_quiz_events,
        sum(n_forum_events) as n_forum_events,
        max(event_date) as last_active_date
    from daily
    group by all

)

select
    coalesce(weekly.student_id, touched.student_id) as student_id,
    coalesce(weekly.class_id, touched.class_id) as class_id,
    cast(coalesce(weekly.week, touched.week) as bigint) as week,
    coalesce(weekly.n_events, 0) as n_events,
    coalesce(weekly.active_minutes, 0) as active_minutes,
    coalesce(weekly.n_active_days, 0) as n_active_days,
    coalesce(weekly.n_video_events, 0) as n_video_events,
    coalesce(weekly.n_quiz_events, 0) as n_quiz_events,
    coalesce(weekly.n_forum_events, 0) as n_forum_events,
    weekly.last_active_date,
    coalesce(touched.n_content_first_touched, 0) as n_content_first_touched
from weekly
full outer join touched using (student_id, class_id, week)
