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

{#- The mean counterpart of exact_sum: the exact sum over the count, one double division, so
    the same value whatever the row order or engine (engines' own decimal means differ in scale). -#}
{% macro exact_avg(expr, scale=6, where=none) -%}
    {{ exact_sum(expr, scale, where) }} / nullif(count({{ expr }}){% if where %} filter (where {{ where }}){% endif %}, 0)
{%- endmacro %}

{#- A total of counts, 0 when there are none, as a bigint: DuckDB sums bigints into a hugeint,
    which its parquet writer (and so the gold Delta table) would store as a double. -#}
{% macro count_sum(expr, where=none) -%}
    cast(coalesce(sum({{ expr }}){% if where %} filter (where {{ where }}){% endif %}, 0) as bigint)
{%- endmacro %}

{#- Seconds (summed exactly, to the millisecond) as minutes rounded half up to 2 decimals, in
    integer arithmetic: rounding a double at a .xx5 boundary differs between engines. -#}
{% macro exact_minutes(seconds) -%}
    cast(floor((sum(cast(round({{ seconds }} * 1000) as bigint)) + 300) / cast(600 as double)) as double)
        / cast(100 as double)
{%- endmacro %}

{#- A JSON object of key -> value over a group, keys in sorted order. DuckDB's json_group_object
    keeps the order the rows arrive in, which a parallel scan changes from build to build. -#}
{% macro ordered_json_object(key, value) -%}
    to_json(map(list({{ key }} order by {{ key }}), list({{ value }} order by {{ key }})))
{%- endmacro %}

{#- True when LEARNSMART_ENGINE=spark: the heavy marts were built on Spark (lake.spark.gold, from
    these same models transpiled) and dbt reads them back instead of computing them again. -#}
{% macro built_on_spark() -%}
    {{ return(env_var('LEARNSMART_ENGINE', 'embedded') | trim | lower == 'spark') }}
{%- endmacro %}

{#- The body of a heavy mart under the Spark engine: its gold Delta table as Spark wrote it. -#}
{% macro spark_built(mart) -%}
    -- Built on Spark by lake.spark.gold from this model's own SQL; read back from gold Delta.
    select * from {{ source('gold_spark', mart) }}
{%- endmacro %}

{#- The week of its class a timestamp falls in, counted from 1 at the class's start date; anything
    before the start counts in week 1. -#}
{% macro class_week(start_date, at) -%}
    greatest(cast(floor(date_diff('day', {{ start_date }}, cast({{ at }} as date)) / 7) + 1 as bigint), 1)
{%- endmacro %}
