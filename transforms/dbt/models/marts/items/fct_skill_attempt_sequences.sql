-- One row per student per skill per item answer, in the order the student answered: the input
-- of mastery models (BKT and the like). An item with several skills appears once per skill.
with responses as (

    select * from {{ ref('int_item_responses_deduplicated') }}
    where skill_ids is not null

),

exploded as (

    select
        student_id,
        class_id,
        unnest(skill_ids) as skill_id,
        attempt_id,
        item_id,
        quiz_id,
        answered_at,
        is_correct,
        score,
        is_first_attempt
    from responses

),

final as (

    select
        *,
        row_number() over w as opportunity,
        coalesce(sum(cast(is_correct as integer)) over (w rows between unbounded preceding and 1 preceding), 0)
            as n_prior_correct
    from exploded
    window w as (partition by student_id, skill_id order by answered_at, attempt_id, item_id)

)

select
    student_id,
    skill_id,
    cast(opportunity as bigint) as opportunity,
    class_id,
    attempt_id,
    item_id,
    quiz_id,
    answered_at,
    is_correct,
    score,
    is_first_attempt,
    cast(opportunity - 1 as bigint) as n_prior_opportunities,
    cast(n_prior_correct as bigint) as n_prior_correct,
    {{ curated_at() }} as curated_at
from final
