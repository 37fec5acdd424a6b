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
