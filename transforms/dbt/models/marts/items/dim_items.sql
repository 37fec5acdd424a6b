-- One row per quiz item (question) in the item banks.
select
    item_id,
    quiz_id,
    class_id,
    item_type,
    stem,
    option_ids,
    option_texts,
    correct_option_ids,
    skill_ids,
    max_score,
    position,
    {{ curated_at() }} as curated_at
from {{ ref('stg_silver__items') }}
