{#-
  Post-hook of every mart: write the model to Delta at <lake>/gold/<domain>/<model> so Trino and
  Spark read the same table. Tables are overwritten whole. An incremental model that sets
  `delta_replace_column` (e.g. event_date) replaces only the values of that column it rebuilt in
  this run (rows whose curated_at is this run's start), with a predicate overwrite: the Delta
  table follows the DuckDB one without rewriting history.
-#}
{% macro export_delta() %}
  {%- if execute and model.resource_type == 'model' and config.get('delta_export', true) -%}
    {%- set domain = model.fqn[-2] -%}
    {%- set delta_path = gold_delta_path(domain, this.identifier) -%}
    {%- set scratch = target.path ~ '.' ~ this.schema ~ '.' ~ this.identifier ~ '.export.parquet' -%}
    {%- set replace_col = config.get('delta_replace_column') -%}
    {%- set cfg = {
        'delta_path': delta_path,
        'delta_mode': 'overwrite',
        'delta_partition_by': config.get('delta_partition_by'),
    } -%}
    {%- set where = '' -%}
    {%- if replace_col and config.get('materialized') == 'incremental' -%}
      {%- set older = run_query(
          'select count(*) from ' ~ this ~ ' where curated_at <> ' ~ curated_at()
      ).columns[0].values()[0] -%}
      {%- if older > 0 -%}
        {%- set values = run_query(
            'select distinct cast(' ~ replace_col ~ ' as varchar) from ' ~ this
            ~ ' where curated_at = ' ~ curated_at() ~ ' order by 1'
        ).columns[0].values() -%}
        {%- set quoted = [] -%}
        {%- for v in values -%}{%- do quoted.append("'" ~ v ~ "'") -%}{%- endfor -%}
        {%- do cfg.update({
            'delta_mode': 'replace_where',
            'delta_predicate': (replace_col ~ ' in (' ~ quoted | join(', ') ~ ')') if quoted else '',
        }) -%}
        {%- set where = ' where curated_at = ' ~ curated_at() -%}
      {%- endif -%}
    {%- endif -%}
    {%- call statement('export_delta_copy') -%}
      copy (select * from {{ this }}{{ where }}) to '{{ scratch }}' (format parquet)
    {%- endcall -%}
    {%- do adapter.store_relation('delta_writer', this, [], scratch, 'parquet', cfg) -%}
    {{ log('gold delta: ' ~ delta_path ~ ' (' ~ cfg['delta_mode'] ~ ')', info=false) }}
  {%- endif -%}
  select 1
{% endmacro %}
