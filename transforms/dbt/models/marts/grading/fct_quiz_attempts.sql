-- One row per quiz attempt with answers: items answered and correct, completeness, rank among
-- the student's attempts at the quiz.
select
    *,
    {{ curated_at() }} as curated_at
from {{ ref('int_quiz_attempts_scored') }}
