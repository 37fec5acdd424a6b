-- One row per student per class enrolment: progress to date (the last day the lake holds
-- activity for the class): content touched, assessments submitted against those due, the
-- weighted score so far, quizzes, and how long the student has been inactive.
with enrollments as (

    select * from {{ ref('int_enrollments_windowed') }}

),

classes as (

    select class_id, as_of_date from {{ ref('int_classes_calendared') }}

),

modules as (

    select
        student_id,
        class_id,
        sum(n_content) as n_content,
        sum(n_content_touched) as n_content_touched,
        {{ ordered_json_object('module', 'round(content_touched_share, 4)') }} as module_touched_shares
    from {{ ref('fct_student_module_progress') }}
    group by all

),

activity as (

    select student_id, class_id, max(event_date) as last_active_date, max(last_event_at) as last_active_at,
        sum(n_events) as n_events, {{ exact_sum('active_minutes') }} as active_minutes
    from {{ ref('fct_daily_engagement') }}
    group by all

),

assessments_due as (

    select assessments.class_id, count(*) as n_assessments_due
    from {{ ref('stg_silver__assessments') }} as assessments
    inner join {{ ref('int_classes_calendared') }} as classes using (class_id)
    where coalesce(
        cast(assessments.due_at as date),
        classes.start_date + cast(assessments.due_day as integer)
    ) <= classes.as_of_date
    group by all

),

results as (

    select
        student_id,
        class_id,
        count(*) filter (where submitted_at is not null or score is not null) as n_assessments_submitted,
        count(*) filter (where is_late) as n_assessments_late,
        {{ exact_sum('weight * score_pct', 6, where='score_pct is not null and weight > 0') }}
            / nullif({{ exact_sum('weight', 6, where='score_pct is not null and weight > 0') }}, 0)
            as weighted_score_to_date,
        {{ exact_avg('score_pct') }} as mean_score_to_date
    from {{ ref('int_assessment_results_weighted') }}
    group by all

),

quizzes as (

    select
        student_id,
        class_id,
        count(*) as n_quiz_attempts,
        count(distinct quiz_id) as n_quizzes_attempted,
        {{ exact_avg('share_correct', where='attempt_rank = 1') }} as mean_first_attempt_share_correct
    from {{ ref('int_quiz_attempts_scored') }}
    group by all

)

select
    enrollments.student_id,
    enrollments.class_id,
    classes.as_of_date,
    enrollments.status,
    enrollments.final_result,
    enrollments.withdrawn_date,
    coalesce(modules.n_content, 0) as n_content,
    coalesce(modules.n_content_touched, 0) as n_content_touched,
    coalesce(modules.n_content_touched, 0) / nullif(modules.n_content, 0) as content_touched_share,
    modules.module_touched_shares,
    coalesce(assessments_due.n_assessments_due, 0) as n_assessments_due,
    coalesce(results.n_assessments_submitted, 0) as n_assessments_submitted,
    coalesce(results.n_assessments_late, 0) as n_assessments_late,
    results.weighted_score_to_date,
    results.mean_score_to_date,
    coalesce(quizzes.n_quiz_attempts, 0) as n_quiz_attempts,
    coalesce(quizzes.n_quizzes_attempted, 0) as n_quizzes_attempted,
    quizzes.mean_first_attempt_share_correct,
    coalesce(activity.n_events, 0) as n_events,
    coalesce(activity.active_minutes, 0) as active_minutes,
    activity.last_active_date,
    activity.last_active_at,
    date_diff('day', activity.last_active_date, classes.as_of_date) as days_inactive,
    {{ curated_at() }} as curated_at
from enrollments
left join classes using (class_id)
left join modules using (student_id, class_id)
left join activity using (student_id, class_id)
left join assessments_due using (class_id)
left join results using (student_id, class_id)
left join quizzes using (student_id, class_id)
