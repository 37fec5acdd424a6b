-- One row per class per class week: who was enrolled, the share of them active that week, what
-- they submitted (assessments and quiz attempts) and how well they scored.
with weeks as (

    select * from {{ ref('int_class_weeks') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_windowed') }}

),

enrolled as (

    select weeks.class_id, weeks.week, count(*) as n_enrolled
    from weeks
    inner join enrollments
        on enrollments.class_id = weeks.class_id
       and coalesce(enrollments.registered_date, weeks.week_start_date) < weeks.cutoff_date
       and (enrollments.withdrawn_date is null or enrollments.withdrawn_date >= weeks.week_start_date)
    group by all

),

active as (

    select class_id, greatest(class_week, 1) as week, count(distinct student_id) as n_active
    from {{ ref('fct_daily_engagement') }}
    group by all

),

results as (

    select
        results.class_id,
        {{ class_week('classes.start_date', 'results.submitted_at') }} as week,
        count(*) as n_assessment_submissions,
        avg(results.score_pct) as mean_assessment_score_pct
    from {{ ref('int_assessment_results_weighted') }} as results
    inner join {{ ref('int_classes_calendared') }} as classes using (class_id)
    where results.submitted_at is not null
    group by all

),

quizzes as (

    select
        attempts.class_id,
        {{ class_week('classes.start_date', 'attempts.submitted_at') }} as week,
        count(*) as n_quiz_submissions,
        100.0 * avg(attempts.share_correct) as mean_quiz_score_pct
    from {{ ref('int_quiz_attempts_scored') }} as attempts
    inner join {{ ref('int_classes_calendared') }} as classes using (class_id)
    group by all

)

select
    weeks.class_id,
    weeks.week,
    weeks.week_start_date,
    weeks.cutoff_date,
    coalesce(enrolled.n_enrolled, 0) as n_enrolled,
    coalesce(active.n_active, 0) as n_active,
    coalesce(active.n_active, 0) / nullif(enrolled.n_enrolled, 0) as active_share,
    coalesce(results.n_assessment_submissions, 0) as n_assessment_submissions,
    coalesce(quizzes.n_quiz_submissions, 0) as n_quiz_submissions,
    coalesce(results.n_assessment_submissions, 0) + coalesce(quizzes.n_quiz_submissions, 0)
        as n_submissions,
    results.mean_assessment_score_pct,
    quizzes.mean_quiz_score_pct,
    coalesce(results.mean_assessment_score_pct, quizzes.mean_quiz_score_pct) as mean_score_pct,
    {{ curated_at() }} as curated_at
from weeks
left join enrolled using (class_id, week)
left join active using (class_id, week)
left join results using (class_id, week)
left join quizzes using (class_id, week)
