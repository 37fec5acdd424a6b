-- One row per student per class per week cut-off, for students enrolled at the cut-off (registered
-- before it and not withdrawn before it). Every feature uses only what happened before the
-- cut-off date (start + 7 * week days, exclusive); outcome labels, which look past it, are in
-- columns prefixed label_. Rebuilt in full on every run: a week's labels change as the class
-- unfolds, so no row is final before the class ends (and the table is small: students x weeks).
{% if built_on_spark() %}
{{ config(delta_export=false) }}
{{ spark_built('fct_student_week_features') }}
{% else %}
with weeks as (

    select * from {{ ref('int_class_weeks') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_windowed') }}

),

spine as (

    select
        enrollments.student_id,
        enrollments.class_id,
        weeks.week,
        weeks.week_start_date,
        weeks.cutoff_date,
        enrollments.registered_date,
        enrollments.withdrawn_date,
        enrollments.final_result,
        enrollments.num_prev_attempts,
        enrollments.studied_credits,
        enrollments.days_registered_before_start,
        classes.end_date as class_end_date
    from enrollments
    inner join weeks using (class_id)
    inner join {{ ref('int_classes_calendared') }} as classes using (class_id)
    where coalesce(enrollments.registered_date, weeks.week_start_date) < weeks.cutoff_date
      and (enrollments.withdrawn_date is null or enrollments.withdrawn_date >= weeks.cutoff_date)

),

weekly_activity as (

    -- One row per student, class and week with activity: the week's totals (sums stay exact
    -- decimals until the end, so running totals equal a sum over the weeks).
    select
        student_id,
        class_id,
        week,
        sum(n_events) as n_events,
        sum(cast(active_minutes as decimal(18, 2))) as active_minutes,
        sum(n_active_days) as n_active_days,
        sum(n_video_events) as n_video_events,
        sum(n_quiz_events) as n_quiz_events,
        sum(n_forum_events) as n_forum_events,
        sum(n_content_first_touched) as n_content_first_touched,
        max(last_active_date) as last_active_date
    from {{ ref('int_student_weekly_activity') }}
    where week is not null
    group by all

),

activity_running as (

    -- Running totals over every week up to and including each one.
    select
        *,
        sum(n_events) over to_date as n_events_cum,
        sum(active_minutes) over to_date as active_minutes_cum,
        sum(n_active_days) over to_date as n_active_days_cum,
        sum(n_video_events) over to_date as n_video_events_cum,
        sum(n_quiz_events) over to_date as n_quiz_events_cum,
        sum(n_forum_events) over to_date as n_forum_events_cum,
        sum(n_content_first_touched) over to_date as n_content_first_touched_cum,
        max(last_active_date) over to_date as last_active_date_cum
    from weekly_activity
    window to_date as (partition by student_id, class_id order by week)

),

activity_to_date as (

    -- The spine (students x weeks) is large and activity sparse: each spine row takes the
    -- running totals of its latest week with activity at or before it (an as-of join), and
    -- the grading and quiz figures are chained on below, so the spine is never joined back.
    select
        spine.*,
        cast(coalesce(a.n_events_cum, 0) as bigint) as n_events_to_date,
        coalesce(cast(a.active_minutes_cum as double), 0) as active_minutes_to_date,
        cast(coalesce(a.n_active_days_cum, 0) as bigint) as n_active_days_to_date,
        cast(coalesce(a.n_video_events_cum, 0) as bigint) as n_video_events_to_date,
        cast(coalesce(a.n_quiz_events_cum, 0) as bigint) as n_quiz_events_to_date,
        cast(coalesce(a.n_forum_events_cum, 0) as bigint) as n_forum_events_to_date,
        cast(coalesce(a.n_content_first_touched_cum, 0) as bigint) as n_content_touched_to_date,
        cast(case when a.week = spine.week then coalesce(a.n_events, 0) else 0 end as bigint)
            as n_events_this_week,
        case when a.week = spine.week then coalesce(cast(a.active_minutes as double), 0) else 0 end
            as active_minutes_this_week,
        cast(case when a.week = spine.week then coalesce(a.n_active_days, 0) else 0 end as bigint)
            as n_active_days_this_week,
        a.last_active_date_cum as last_active_date
    from spine
    asof left join activity_running as a
        on a.student_id = spine.student_id
       and a.class_id = spine.class_id
       and spine.week >= a.week

),

content_released as (

    select weeks.class_id, weeks.week, count(content.content_id) as n_content_released
    from weeks
    left join {{ ref('stg_silver__content_items') }} as content
        on content.class_id = weeks.class_id and coalesce(content.week, 1) <= weeks.week
    group by all

),

assessments as (

    select
        assessments.assessment_id,
        assessments.class_id,
        coalesce(
            cast(assessments.due_at as date),
            classes.start_date + cast(assessments.due_day as integer)
        ) as due_date
    from {{ ref('stg_silver__assessments') }} as assessments
    inner join {{ ref('int_classes_calendared') }} as classes using (class_id)

),

assessments_due as (

    select weeks.class_id, weeks.week, count(assessments.assessment_id) as n_assessments_due
    from weeks
    left join assessments
        on assessments.class_id = weeks.class_id and assessments.due_date < weeks.cutoff_date
    group by all

),

daily_results as (

    -- One row per student, class and submission day (scored results only).
    select
        student_id,
        class_id,
        cast(submitted_at as date) as submitted_date,
        count(assessment_id) as n_submitted,
        count(assessment_id) filter (where is_late) as n_late,
        sum(cast(weight * score_pct as decimal(18, 6))) filter (where weight > 0) as weighted_sum,
        sum(cast(weight as decimal(18, 6))) filter (where weight > 0) as weight_sum,
        sum(cast(score_pct as decimal(18, 6))) as score_sum,
        count(score_pct) as n_scores
    from {{ ref('int_assessment_results_weighted') }}
    where score_pct is not null and submitted_at is not null
    group by all

),

results_running as (

    select
        student_id,
        class_id,
        submitted_date,
        sum(n_submitted) over to_date as n_submitted,
        sum(n_late) over to_date as n_late,
        sum(weighted_sum) over to_date as weighted_sum,
        sum(weight_sum) over to_date as weight_sum,
        sum(score_sum) over to_date as score_sum,
        sum(n_scores) over to_date as n_scores
    from daily_results
    window to_date as (partition by student_id, class_id order by submitted_date)

),

grading_to_date as (

    -- What was submitted strictly before the cut-off date.
    select
        spine.*,
        cast(coalesce(r.n_submitted, 0) as bigint) as n_assessments_submitted_to_date,
        cast(coalesce(r.n_late, 0) as bigint) as n_assessments_late_to_date,
        cast(r.weighted_sum as double) / nullif(cast(r.weight_sum as double), 0)
            as weighted_score_to_date,
        cast(r.score_sum as double) / nullif(r.n_scores, 0) as mean_score_to_date
    from activity_to_date as spine
    asof left join results_running as r
        on r.student_id = spine.student_id
       and r.class_id = spine.class_id
       and spine.cutoff_date > r.submitted_date

),

daily_attempts as (

    select
        student_id,
        class_id,
        cast(submitted_at as date) as submitted_date,
        count(attempt_id) as n_attempts,
        sum(cast(share_correct as decimal(18, 6))) as share_sum,
        count(share_correct) as n_shares
    from {{ ref('int_quiz_attempts_scored') }}
    where submitted_at is not null
    group by all

),

attempts_running as (

    select
        student_id,
        class_id,
        submitted_date,
        sum(n_attempts) over to_date as n_attempts,
        sum(share_sum) over to_date as share_sum,
        sum(n_shares) over to_date as n_shares
    from daily_attempts
    window to_date as (partition by student_id, class_id order by submitted_date)

),

features_to_date as (

    -- Quiz attempts submitted strictly before the cut-off date, chained on the rest.
    select
        spine.*,
        cast(coalesce(q.n_attempts, 0) as bigint) as n_quiz_attempts_to_date,
        cast(q.share_sum as double) / nullif(q.n_shares, 0) as mean_quiz_share_correct_to_date
    from grading_to_date as spine
    asof left join attempts_running as q
        on q.student_id = spine.student_id
       and q.class_id = spine.class_id
       and spine.cutoff_date > q.submitted_date

),

final as (

    select
        spine.student_id,
        spine.class_id,
        spine.week,
        spine.cutoff_date,
        -- known at registration
        spine.days_registered_before_start,
        spine.num_prev_attempts,
        spine.studied_credits,
        -- engagement before the cut-off
        spine.n_events_to_date,
        spine.active_minutes_to_date,
        spine.n_active_days_to_date,
        spine.n_video_events_to_date,
        spine.n_quiz_events_to_date,
        spine.n_forum_events_to_date,
        spine.n_events_this_week,
        spine.active_minutes_this_week,
        spine.n_active_days_this_week,
        date_diff('day', spine.last_active_date, spine.cutoff_date)
            as days_since_last_active,
        -- progress before the cut-off
        spine.n_content_touched_to_date,
        content_released.n_content_released,
        least(spine.n_content_touched_to_date
            / nullif(content_released.n_content_released, 0), 1.0) as content_touched_share,
        -- grading before the cut-off
        assessments_due.n_assessments_due,
        spine.n_assessments_submitted_to_date,
        spine.n_assessments_late_to_date,
        spine.weighted_score_to_date,
        spine.mean_score_to_date,
        spine.n_quiz_attempts_to_date,
        spine.mean_quiz_share_correct_to_date,
        -- outcome labels: they look past the cut-off, never use them as features
        spine.final_result as label_final_result,
        spine.final_result in ('Pass', 'Distinction') as label_is_pass,
        spine.withdrawn_date is not null or spine.final_result = 'Withdrawn' as label_dropped_out,
        spine.withdrawn_date is not null and spine.withdrawn_date >= spine.cutoff_date
            as label_withdrew_later,
        -- the at-risk target: the final result where the source has one (OULAD), else a
        -- withdrawal (known once it happened), else completion once the class has ended
        -- without one; null while the outcome is still open
        case
            when spine.final_result is not null
                then spine.final_result not in ('Pass', 'Distinction')
            when spine.withdrawn_date is not null then true
            when spine.class_end_date < current_date then false
        end as label_at_risk,
        {{ curated_at() }} as curated_at
    from features_to_date as spine
    left join content_released using (class_id, week)
    left join assessments_due using (class_id, week)

)

select * from final
{% endif %}
