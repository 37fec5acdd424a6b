{#- Schemas are the layer or domain name itself (staging, intermediate, engagement, ...), not
    dbt's default <target schema>_<custom schema>. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
