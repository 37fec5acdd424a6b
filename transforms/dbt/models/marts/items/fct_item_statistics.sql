-- One row per item answered at least once: classical item analysis over every non-voided
-- attempt. difficulty is the proportion correct; discrimination is the corrected point-biserial,
-- the correlation of the item score (0/1) with the rest-of-test score (correct answers on the
-- attempt's other items); option shares are the proportion of responses choosing each option.
with responses as (

    select * from {{ ref('int_item_responses_deduplicated') }}

),

attempt_totals as (

    select attempt_id, sum(cast(is_correct as integer)) as total_correct
    from responses
    group by attempt_id

),

scored as (

    select
        responses.item_id,
        responses.quiz_id,
        responses.student_id,
        responses.is_first_attempt,
        cast(responses.is_correct as double) as item_score,
        cast(attempt_totals.total_correct - cast(responses.is_correct as integer) as double)
            as rest_score
    from responses
    inner join attempt_totals using (attempt_id)

),

stats as (

    select
        item_id,
        any_value(quiz_id) as quiz_id,
        count(*) as n_attempts,
        count(distinct student_id) as n_students,
        avg(item_score) as difficulty,
        count(*) filter (where is_first_attempt) as n_first_attempts,
        avg(item_score) filter (where is_first_attempt) as first_attempt_difficulty,
        case
            when var_pop(item_score) > 0 and var_pop(rest_score) > 0
                then corr(item_score, rest_score)
        end as discrimination
    from scored
    group by item_id

),

option_counts as (

    select item_id, response, count(*) as n
    from responses
    group by item_id, response

),

options as (

    select
        item_id,
        {{ ordered_json_object("coalesce(response, '(blank)')", 'round(share, 4)') }} as option_shares,
        count(*) as n_distinct_responses
    from (
        select item_id, response, n / sum(n) over (partition by item_id) as share
        from option_counts
    )
    group by item_id

),

final as (

    select
        stats.item_id,
        stats.quiz_id,
        items.class_id,
        stats.n_attempts,
        stats.n_students,
        stats.difficulty,
        stats.n_first_attempts,
        stats.first_attempt_difficulty,
        stats.discrimination,
        options.option_shares,
        options.n_distinct_responses,
        stats.n_attempts >= {{ var('item_min_attempts_for_flags') }} as has_enough_attempts,
        stats.n_attempts >= {{ var('item_min_attempts_for_flags') }}
            and stats.difficulty > {{ var('item_too_easy_above') }} as is_too_easy,
        stats.n_attempts >= {{ var('item_min_attempts_for_flags') }}
            and stats.difficulty < {{ var('item_too_hard_below') }} as is_too_hard,
        stats.n_attempts >= {{ var('item_min_attempts_for_flags') }}
            and coalesce(stats.discrimination < 0, false) as has_negative_discrimination,
        {{ curated_at() }} as curated_at
    from stats
    left join options using (item_id)
    left join {{ ref('stg_silver__items') }} as items using (item_id)

)

select * from final
