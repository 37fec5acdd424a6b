{#- Where the lake lives: LEARNSMART_LAKE, default data/lake (relative to dbt's working folder). -#}
{% macro lake_root() -%}
    {{ env_var('LEARNSMART_LAKE', 'data/lake') | replace('\\', '/') }}
{%- endmacro %}

{#- The gold Delta table of a mart: <lake>/gold/<domain>/<model>. -#}
{% macro gold_delta_path(domain, model_name) -%}
    {{ lake_root() }}/gold/{{ domain }}/{{ model_name }}
{%- endmacro %}

{#- When this dbt invocation started, as a UTC timestamp: marks the rows a run (re)built. -#}
{% macro curated_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as timestamptz)
{%- endmacro %}

{#- A sum that does not depend on row order. Floating-point sums of the same rows differ in their
    last bits between parallel runs (and between engines), so they are summed as decimals at
    `scale` places and cast back: a rebuild gives the same features bit for bit. -#}
{% macro exact_sum(expr, scale=2, where=none) -%}
    cast(sum(cast({{ expr }} as decimal(18, {{ scale }}))){% if where %} filter (where {{ where }}){% endif %} as double)
{%- endmacro %}

{#- The mean counterpart of exact_sum: the same value whatever the row order. -#}
{% macro exact_avg(expr, scale=6, where=none) -%}
    cast(avg(cast({{ expr }} as decimal(18, {{ scale }}))){% if where %} filter (where {{ where }}){% endif %} as double)
{%- endmacro %}
