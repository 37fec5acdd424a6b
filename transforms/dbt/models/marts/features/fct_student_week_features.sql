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

-- "To date" figures are running totals over the few weeks in which a student has events: each
-- source is reduced to one row per student, class and week (the week whose cut-off an event
-- first precedes), totals are summed along those rows by a window, and each spine week takes the
-- totals of the latest such week at or before it. One join of the spine, against a range join
-- and a group-by over the spine per source before; portable to Spark SQL (no as-of join); sums
-- are exact decimals, so how rows are grouped never changes a value.
activity_weeks as (

    select
        student_id,
        class_id,
        week,
        n_events,
        cast(active_minutes as decimal(18, 2)) as active_minutes,
        n_active_days,
        n_video_events,
        n_quiz_events,
        n_forum_events,
        n_content_first_touched,
        last_active_date
    from {{ ref('int_student_weekly_activity') }}

),

class_starts as (

    select class_id, start_date from {{ ref('int_classes_calendared') }}
    where start_date is not null

),

result_weeks as (

    -- A result counts from the first week whose cut-off its submission day precedes.
    select
        results.student_id,
        results.class_id,
        {{ class_week('class_starts.start_date', 'results.submitted_at') }} as week,
        count(results.assessment_id) as n_results,
        count(results.assessment_id) filter (where results.is_late) as n_results_late,
        sum(cast(results.weight * results.score_pct as decimal(18, 6)))
            filter (where results.weight > 0) as weighted_score_sum,
        sum(cast(results.weight as decimal(18, 6))) filter (where results.weight > 0)
            as weight_sum,
        sum(cast(results.score_pct as decimal(18, 6))) as score_sum,
        count(results.score_pct) as n_scores
    from {{ ref('int_assessment_results_weighted') }} as results
    inner join class_starts using (class_id)
    where results.score_pct is not null and results.submitted_at is not null
    group by all

),

attempt_weeks as (

    select
        attempts.student_id,
        attempts.class_id,
        {{ class_week('class_starts.start_date', 'attempts.submitted_at') }} as week,
        count(attempts.attempt_id) as n_quiz_attempts,
        sum(cast(attempts.share_correct as decimal(18, 6))) as share_correct_sum,
        count(attempts.share_correct) as n_share_correct
    from {{ ref('int_quiz_attempts_scored') }} as attempts
    inner join class_starts using (class_id)
    where attempts.submitted_at is not null
    group by all

),

weeks_with_events as (

    -- One row per student, class and week with anything in it (a few per student, against the
    -- spine's one per week enrolled).
    select
        student_id,
        class_id,
        week,
        sum(n_events) as n_events,
        sum(active_minutes) as active_minutes,
        sum(n_active_days) as n_active_days,
        sum(n_video_events) as n_video_events,
        sum(n_quiz_events) as n_quiz_events,
        sum(n_forum_events) as n_forum_events,
        sum(n_content_first_touched) as n_content_first_touched,
        max(last_active_date) as last_active_date,
        sum(n_results) as n_results,
        sum(n_results_late) as n_results_late,
        sum(weighted_score_sum) as weighted_score_sum,
        sum(weight_sum) as weight_sum,
        sum(score_sum) as score_sum,
        sum(n_scores) as n_scores,
        sum(n_quiz_attempts) as n_quiz_attempts,
        sum(share_correct_sum) as share_correct_sum,
        sum(n_share_correct) as n_share_correct
    from (
        select
            student_id, class_id, week,
            n_events, active_minutes, n_active_days, n_video_events, n_quiz_events,
            n_forum_events, n_content_first_touched, last_active_date,
            cast(null as bigint) as n_results, cast(null as bigint) as n_results_late,
            cast(null as decimal(38, 6)) as weighted_score_sum,
            cast(null as decimal(38, 6)) as weight_sum,
            cast(null as decimal(38, 6)) as score_sum, cast(null as bigint) as n_scores,
            cast(null as bigint) as n_quiz_attempts,
            cast(null as decimal(38, 6)) as share_correct_sum,
            cast(null as bigint) as n_share_correct
        from activity_weeks
        union all
        select
            student_id, class_id, week,
            null, null, null, null, null, null, null, null,
            n_results, n_results_late, weighted_score_sum, weight_sum, score_sum, n_scores,
            null, null, null
        from result_weeks
        union all
        select
            student_id, class_id, week,
            null, null, null, null, null, null, null, null,
            null, null, null, null, null, null,
            n_quiz_attempts, share_correct_sum, n_share_correct
        from attempt_weeks
    ) as bricks
    group by student_id, class_id, week

),

running as (

    -- Totals up to and including each week with events; a spine week takes the row of the
    -- latest such week at or before it (until_week: the next one, exclusive).
    select
        student_id,
        class_id,
        week,
        lead(week) over (partition by student_id, class_id order by week) as until_week,
        n_events,
        active_minutes,
        n_active_days,
        sum(n_events) over weeks_to_date as n_events_to_date,
        sum(active_minutes) over weeks_to_date as active_minutes_to_date,
        sum(n_active_days) over weeks_to_date as n_active_days_to_date,
        sum(n_video_events) over weeks_to_date as n_video_events_to_date,
        sum(n_quiz_events) over weeks_to_date as n_quiz_events_to_date,
        sum(n_forum_events) over weeks_to_date as n_forum_events_to_date,
        sum(n_content_first_touched) over weeks_to_date as n_content_touched_to_date,
        max(last_active_date) over weeks_to_date as last_active_date,
        sum(n_results) over weeks_to_date as n_results_to_date,
        sum(n_results_late) over weeks_to_date as n_results_late_to_date,
        sum(weighted_score_sum) over weeks_to_date as weighted_score_sum_to_date,
        sum(weight_sum) over weeks_to_date as weight_sum_to_date,
        sum(score_sum) over weeks_to_date as score_sum_to_date,
        sum(n_scores) over weeks_to_date as n_scores_to_date,
        sum(n_quiz_attempts) over weeks_to_date as n_quiz_attempts_to_date,
        sum(share_correct_sum) over weeks_to_date as share_correct_sum_to_date,
        sum(n_share_correct) over weeks_to_date as n_share_correct_to_date
    from weeks_with_events
    window weeks_to_date as (
        partition by student_id, class_id order by week
        rows between unbounded preceding and current row
    )

),

spine_to_date as (

    select
        spine.*,
        cast(coalesce(totals.n_events_to_date, 0) as bigint) as n_events_to_date,
        coalesce(cast(totals.active_minutes_to_date as double), 0) as active_minutes_to_date,
        cast(coalesce(totals.n_active_days_to_date, 0) as bigint) as n_active_days_to_date,
        cast(coalesce(totals.n_video_events_to_date, 0) as bigint) as n_video_events_to_date,
        cast(coalesce(totals.n_quiz_events_to_date, 0) as bigint) as n_quiz_events_to_date,
        cast(coalesce(totals.n_forum_events_to_date, 0) as bigint) as n_forum_events_to_date,
        cast(coalesce(totals.n_content_touched_to_date, 0) as bigint)
            as n_content_touched_to_date,
        cast(coalesce(case when totals.week = spine.week then totals.n_events end, 0) as bigint)
            as n_events_this_week,
        coalesce(
            cast(case when totals.week = spine.week then totals.active_minutes end as double), 0
        ) as active_minutes_this_week,
        cast(coalesce(case when totals.week = spine.week then totals.n_active_days end, 0)
            as bigint) as n_active_days_this_week,
        totals.last_active_date,
        cast(coalesce(totals.n_results_to_date, 0) as bigint) as n_assessments_submitted_to_date,
        cast(coalesce(totals.n_results_late_to_date, 0) as bigint) as n_assessments_late_to_date,
        cast(totals.weighted_score_sum_to_date as double)
            / nullif(cast(totals.weight_sum_to_date as double), 0) as weighted_score_to_date,
        cast(totals.score_sum_to_date as double) / nullif(totals.n_scores_to_date, 0)
            as mean_score_to_date,
        cast(coalesce(totals.n_quiz_attempts_to_date, 0) as bigint) as n_quiz_attempts_to_date,
        cast(totals.share_correct_sum_to_date as double)
            / nullif(totals.n_share_correct_to_date, 0) as mean_quiz_share_correct_to_date
    from spine
    left join running as totals
        on totals.student_id = spine.student_id
       and totals.class_id = spine.class_id
       and totals.week <= spine.week
       and (totals.until_week is null or totals.until_week > spine.week)

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
    from spine_to_date as spine
    left join content_released using (class_id, week)
    left join assessments_due using (class_id, week)

)

select * from final
{% endif %}
