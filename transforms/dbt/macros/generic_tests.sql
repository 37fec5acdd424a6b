{#- dbt_utils is out of reach (no dbt Hub here), so the few generic tests we need live here. -#}

{#- The combination of columns is a key: no two rows share it, and no part of it is null. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
with keyed as (
    select {{ combination_of_columns | join(', ') }}
    from {{ model }}
),
nulls as (
    select *, 'null key part' as problem
    from keyed
    where {% for c in combination_of_columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
),
dupes as (
    select *, 'duplicate key' as problem
    from keyed
    group by all
    having count(*) > 1
)
select * from nulls
union all
select * from dupes
{% endtest %}

{#- Every non-null value lies in [min_value, max_value] (either bound may be omitted). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (
    false
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
  )
{% endtest %}
