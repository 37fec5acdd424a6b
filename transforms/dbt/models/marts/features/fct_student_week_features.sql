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

activity as (

    select * from {{ ref('int_student_weekly_activity') }}

),

activity_to_date as (

    -- Cumulative over every week up to and including w (its events precede w's cut-off).
    select
        spine.student_id,
        spine.class_id,
        spine.week,
        {{ count_sum('activity.n_events') }} as n_events_to_date,
        coalesce({{ exact_sum('activity.active_minutes') }}, 0) as active_minutes_to_date,
        {{ count_sum('activity.n_active_days') }} as n_active_days_to_date,
        {{ count_sum('activity.n_video_events') }} as n_video_events_to_date,
        {{ count_sum('activity.n_quiz_events') }} as n_quiz_events_to_date,
        {{ count_sum('activity.n_forum_events') }} as n_forum_events_to_date,
        {{ count_sum('activity.n_content_first_touched') }} as n_content_touched_to_date,
        {{ count_sum('activity.n_events', where='activity.week = spine.week') }}
            as n_events_this_week,
        coalesce({{ exact_sum('activity.active_minutes', where='activity.week = spine.week') }}, 0)
            as active_minutes_this_week,
        {{ count_sum('activity.n_active_days', where='activity.week = spine.week') }}
            as n_active_days_this_week,
        max(activity.last_active_date) as last_active_date
    from spine
    left join activity
        on activity.student_id = spine.student_id
       and activity.class_id = spine.class_id
       and activity.week <= spine.week
    group by all

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

grading_to_date as (

    select
        spine.student_id,
        spine.class_id,
        spine.week,
        count(results.assessment_id) as n_assessments_submitted_to_date,
        count(results.assessment_id) filter (where results.is_late) as n_assessments_late_to_date,
        {{ exact_sum('results.weight * results.score_pct', 6, where='results.weight > 0') }}
            / nullif({{ exact_sum('results.weight', 6, where='results.weight > 0') }}, 0)
            as weighted_score_to_date,
        {{ exact_avg('results.score_pct') }} as mean_score_to_date
    from spine
    left join {{ ref('int_assessment_results_weighted') }} as results
        on results.student_id = spine.student_id
       and results.class_id = spine.class_id
       and cast(results.submitted_at as date) < spine.cutoff_date
       and results.score_pct is not null
    group by all

),

quizzes_to_date as (

    select
        spine.student_id,
        spine.class_id,
        spine.week,
        count(attempts.attempt_id) as n_quiz_attempts_to_date,
        {{ exact_avg('attempts.share_correct') }} as mean_quiz_share_correct_to_date
    from spine
    left join {{ ref('int_quiz_attempts_scored') }} as attempts
        on attempts.student_id = spine.student_id
       and attempts.class_id = spine.class_id
       and cast(attempts.submitted_at as date) < spine.cutoff_date
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
        activity_to_date.n_events_to_date,
        activity_to_date.active_minutes_to_date,
        activity_to_date.n_active_days_to_date,
        activity_to_date.n_video_events_to_date,
        activity_to_date.n_quiz_events_to_date,
        activity_to_date.n_forum_events_to_date,
        activity_to_date.n_events_this_week,
        activity_to_date.active_minutes_this_week,
        activity_to_date.n_active_days_this_week,
        date_diff('day', activity_to_date.last_active_date, spine.cutoff_date)
            as days_since_last_active,
        -- progress before the cut-off
        activity_to_date.n_content_touched_to_date,
        content_released.n_content_released,
        least(activity_to_date.n_content_touched_to_date
            / nullif(content_released.n_content_released, 0), 1.0) as content_touched_share,
        -- grading before the cut-off
        assessments_due.n_assessments_due,
        grading_to_date.n_assessments_submitted_to_date,
        grading_to_date.n_assessments_late_to_date,
        grading_to_date.weighted_score_to_date,
        grading_to_date.mean_score_to_date,
        quizzes_to_date.n_quiz_attempts_to_date,
        quizzes_to_date.mean_quiz_share_correct_to_date,
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
    from spine
    left join activity_to_date using (student_id, class_id, week)
    left join content_released using (class_id, week)
    left join assessments_due using (class_id, week)
    left join grading_to_date using (student_id, class_id, week)
    left join quizzes_to_date using (student_id, class_id, week)

)

select * from final
{% endif %}
