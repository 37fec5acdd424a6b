-- One row per quiz attempt that has answers: items answered and correct, total score, and
-- whether it is complete (answered every item the quiz is seen to have).
with responses as (

    select * from {{ ref('int_item_responses_deduplicated') }}

),

attempts as (

    select * from {{ ref('stg_silver__quiz_attempts') }}

),

quiz_sizes as (

    -- Items of a quiz: the bank's count, or the distinct items answered when no bank arrived.
    select quiz_id, count(distinct item_id) as n_quiz_items
    from (
        select quiz_id, item_id from {{ ref('stg_silver__items') }}
        union all
        select quiz_id, item_id from responses
    )
    group by quiz_id

),

per_attempt as (

    select
        attempt_id,
        any_value(quiz_id) as quiz_id,
        any_value(student_id) as student_id,
        any_value(class_id) as class_id,
        min(attempt_rank) as attempt_rank,
        count(*) as n_items_answered,
        count(*) filter (where is_correct) as n_correct,
        sum(score) as total_score,
        min(answered_at) as first_answered_at,
        max(answered_at) as last_answered_at
    from responses
    group by attempt_id

),

final as (

    select
        per_attempt.attempt_id,
        per_attempt.quiz_id,
        per_attempt.student_id,
        per_attempt.class_id,
        per_attempt.attempt_rank,
        attempts.attempt_number,
        coalesce(attempts.started_at, per_attempt.first_answered_at) as started_at,
        coalesce(attempts.submitted_at, per_attempt.last_answered_at) as submitted_at,
        per_attempt.n_items_answered,
        quiz_sizes.n_quiz_items,
        per_attempt.n_items_answered >= quiz_sizes.n_quiz_items as is_complete,
        per_attempt.n_correct,
        per_attempt.total_score,
        per_attempt.n_correct / nullif(quiz_sizes.n_quiz_items, 0) as share_correct
    from per_attempt
    left join attempts using (attempt_id)
    left join quiz_sizes on quiz_sizes.quiz_id = per_attempt.quiz_id

)

select * from final
