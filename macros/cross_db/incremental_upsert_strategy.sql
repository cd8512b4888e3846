{#- Returns the incremental strategy that replaces rows by `unique_key` on this engine. -#}
{% macro incremental_upsert_strategy() -%}
    {{ return(adapter.dispatch('incremental_upsert_strategy', 'cdp')()) }}
{%- endmacro %}

{#- DuckDB and most warehouses: delete the keys, then insert. -#}
{% macro default__incremental_upsert_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{#- Spark: MERGE needs a table format with row-level writes (var cdp_spark_table_format: delta, iceberg,
    hudi, set on a cluster). Plain Parquet (local sessions) only appends: the first build is exact, a
    later incremental run would append rather than replace, so such a project rebuilds instead. -#}
{% macro spark__incremental_upsert_strategy() -%}
    {%- if var('cdp_spark_table_format', 'parquet') in ['delta', 'iceberg', 'hudi'] -%}
        {{ return('merge') }}
    {%- else -%}
        {{ return('append') }}
    {%- endif -%}
{%- endmacro %}
