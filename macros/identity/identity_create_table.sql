{#- Returns nothing. Creates (or replaces) the work table `relation` as the result of `sql`. The identity
    graph writes dozens of small work tables per run; on DuckDB each is one statement, so dbt's cost per
    statement is paid once per table instead of twice (drop, then create). -#}
{% macro identity_create_table(relation, sql) -%}
    {{ return(adapter.dispatch('identity_create_table', 'cdp')(relation, sql)) }}
{%- endmacro %}

{#- DuckDB: `create or replace table` (a temporary one for a scratch relation, identity_scratch_relation). -#}
{% macro duckdb__identity_create_table(relation, sql) -%}
    {%- set kind = 'temp table' if relation.database == 'temp' else 'table' -%}
    {%- do run_query("create or replace " ~ kind ~ " " ~ relation ~ " as (" ~ sql ~ ")") -%}
{%- endmacro %}

{#- Spark on plain Parquet (and the default): no `or replace` for such tables; drop, then create. -#}
{% macro default__identity_create_table(relation, sql) -%}
    {%- do adapter.drop_relation(relation) -%}
    {%- do run_query(create_table_as(False, relation, sql)) -%}
{%- endmacro %}

{#- Returns nothing. Drops the work tables `relations` (those that exist). -#}
{% macro identity_drop_tables(relations) -%}
    {{ return(adapter.dispatch('identity_drop_tables', 'cdp')(relations)) }}
{%- endmacro %}

{#- DuckDB: one statement of several drops. -#}
{% macro duckdb__identity_drop_tables(relations) -%}
    {%- set drops = [] -%}
    {%- for relation in relations -%}
        {%- do drops.append("drop table if exists " ~ relation) -%}
    {%- endfor -%}
    {%- if drops -%}
        {%- do run_query(drops | join("; ")) -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__identity_drop_tables(relations) -%}
    {%- for relation in relations -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endfor -%}
{%- endmacro %}
