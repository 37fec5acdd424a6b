-- One row per student per assessment with a result: percentage score, weight, lateness.
select
    *,
    {{ curated_at() }} as curated_at
from {{ ref('int_assessment_results_weighted') }}
