-- One row per quiz with answers: internal consistency over the complete attempts (every item of
-- the quiz answered). KR-20 on correct/incorrect, Cronbach's alpha on item scores, both with
-- population variances: k / (k - 1) * (1 - sum of item variances / variance of the total).
with attempts as (

    select * from {{ ref('int_quiz_attempts_scored') }}

),

complete as (

    select attempt_id, quiz_id, n_quiz_items, n_correct, total_score
    from attempts
    where is_complete

),

responses as (

    select responses.quiz_id, responses.item_id, cast(responses.is_correct as double) as correct,
        responses.score
    from {{ ref('int_item_responses_deduplicated') }} as responses
    where responses.attempt_id in (select attempt_id from complete)

),

item_variances as (

    select quiz_id, item_id, var_pop(correct) as correct_var, var_pop(score) as score_var
    from responses
    group by quiz_id, item_id

),

quiz_items as (

    select quiz_id, sum(correct_var) as sum_correct_var, sum(score_var) as sum_score_var
    from item_variances
    group by quiz_id

),

totals as (

    select
        quiz_id,
        any_value(n_quiz_items) as n_items,
        count(*) as n_complete_attempts,
        var_pop(n_correct) as total_correct_var,
        var_pop(total_score) as total_score_var,
        avg(n_correct) as mean_correct
    from complete
    group by quiz_id

),

all_attempts as (

    select quiz_id, count(*) as n_attempts from attempts group by quiz_id

)

select
    all_attempts.quiz_id,
    coalesce(totals.n_items, 0) as n_items,
    all_attempts.n_attempts,
    coalesce(totals.n_complete_attempts, 0) as n_complete_attempts,
    totals.mean_correct,
    case
        when totals.n_items > 1 and totals.total_correct_var > 0 and totals.n_complete_attempts > 1
            then totals.n_items / (totals.n_items - 1.0)
                * (1 - quiz_items.sum_correct_var / totals.total_correct_var)
    end as kr20,
    case
        when totals.n_items > 1 and totals.total_score_var > 0 and totals.n_complete_attempts > 1
            then totals.n_items / (totals.n_items - 1.0)
                * (1 - quiz_items.sum_score_var / totals.total_score_var)
    end as cronbach_alpha,
    {{ curated_at() }} as curated_at
from all_attempts
left join totals using (quiz_id)
left join quiz_items using (quiz_id)
