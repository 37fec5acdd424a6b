-- One row per item answered in an attempt (attempt_id, item_id), whatever the number of sources
-- that reported it: the xAPI feed names items by IRI and the quiz-attempt export by bank id, so
-- the same answer can arrive twice under two keys. Voided answers are dropped; the quiz-attempt
-- export wins over xAPI when both report an answer.
with responses as (

    select * from {{ ref('stg_silver__item_responses') }}

),

attempts as (

    select * from {{ ref('stg_silver__quiz_attempts') }}

),

items as (

    select item_id, quiz_id, max_score, skill_ids, position from {{ ref('stg_silver__items') }}

),

normalised as (

    select
        responses.*,
        case
            when responses.item_id like '%://%' then regexp_extract(responses.item_id, '([^/]+)/?$', 1)
            else responses.item_id
        end as local_item_id
    from responses
    where not coalesce(responses.is_voided, false)

),

ranked as (

    select
        *,
        row_number() over (
            partition by attempt_id, local_item_id
            order by case source when 'quiz_attempts' then 0 else 1 end, answered_at, item_id
        ) as source_rank
    from normalised

),

first_attempts as (

    -- A student's first attempt at a quiz: earliest start, whichever attempt_number sources sent.
    select
        attempt_id,
        row_number() over (
            partition by student_id, quiz_id
            order by coalesce(started_at, submitted_at), attempt_number, attempt_id
        ) as attempt_rank
    from attempts

),

final as (

    select
        ranked.attempt_id,
        ranked.local_item_id as item_id,
        coalesce(items.quiz_id, ranked.quiz_id) as quiz_id,
        ranked.class_id,
        ranked.student_id,
        ranked.answered_date,
        ranked.answered_at,
        ranked.response,
        ranked.is_correct,
        coalesce(ranked.score, case when ranked.is_correct then 1.0 else 0.0 end) as score,
        items.max_score as item_max_score,
        items.skill_ids,
        items.position as item_position,
        ranked.duration_s,
        ranked.source,
        coalesce(first_attempts.attempt_rank, 1) as attempt_rank,
        coalesce(first_attempts.attempt_rank, 1) = 1 as is_first_attempt,
        ranked.loaded_at
    from ranked
    left join items on items.item_id = ranked.local_item_id
    left join first_attempts using (attempt_id)
    where ranked.source_rank = 1

)

select * from final
