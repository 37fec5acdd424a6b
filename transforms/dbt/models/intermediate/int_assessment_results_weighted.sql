-- One row per student per assessment with a result: the score as a percentage of the maximum,
-- the assessment's weight, due date and whether the submission was late.
with results as (

    select * from {{ ref('stg_silver__assessment_results') }}

),

assessments as (

    select * from {{ ref('stg_silver__assessments') }}

),

classes as (

    select class_id, start_date from {{ ref('int_classes_calendared') }}

),

final as (

    select
        results.assessment_id,
        results.student_id,
        coalesce(results.class_id, assessments.class_id) as class_id,
        assessments.assessment_type,
        assessments.weight,
        coalesce(assessments.max_score, 100.0) as max_score,
        coalesce(
            assessments.due_at,
            cast(classes.start_date + cast(assessments.due_day as integer) as timestamptz)
        ) as due_at,
        coalesce(
            results.submitted_at,
            cast(classes.start_date + cast(results.submitted_day as integer) as timestamptz)
        ) as submitted_at,
        results.score,
        100.0 * results.score / nullif(coalesce(assessments.max_score, 100.0), 0) as score_pct,
        coalesce(results.is_banked, false) as is_banked
    from results
    left join assessments using (assessment_id)
    left join classes on classes.class_id = coalesce(results.class_id, assessments.class_id)

)

select
    *,
    submitted_at > due_at as is_late
from final
