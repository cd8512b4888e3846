{#- Returns nothing. Creates (or replaces) the work table `relation` as the result of `sql`. The identity
    graph writes dozens of small work tables per run; on DuckDB each is one statement, so dbt's cost per
    statement is paid once per table instead of twice (drop, then create). -#}
{% macro identity_create_table(relation, sql) -%}
    {{ return(adapter.dispatch('identity_create_table', 'cdp')(relation, sql)) }}
{%- endmacro %}

{#- DuckDB: `create or replace table` (a temporary one for a scratch relation, identity_scratch_relation). -#}
{% macro duckdb__identity_create_table(relation, sql) -%}
    {%- do cdp.duckdb__identity_run_steps([{'relation': relation, 'sql': sql}]) -%}
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

{#- DuckDB: one statement of several drops (a drop step of identity_run_steps). -#}
{% macro duckdb__identity_drop_tables(relations) -%}
    {%- do cdp.duckdb__identity_run_steps([{'drop': relations}]) -%}
{%- endmacro %}

{% macro default__identity_drop_tables(relations) -%}
    {%- for relation in relations -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endfor -%}
{%- endmacro %}

{#- Returns the result (an agate table) of the last of `steps`, run in order; none when the last creates a
    table. A step is a dict: {'relation': r, 'sql': select} creates (or replaces) the work table `r` as
    identity_create_table does; {'sql': statement} runs a statement or a query; {'drop': relations} drops
    those that exist (identity_drop_tables). The identity graph runs a few steps between two decisions
    taken on a query's result (a count, a proof): on DuckDB they go as one call, so dbt's cost per
    statement (about 4 ms) is paid once per batch, not once per table. -#}
{% macro identity_run_steps(steps) -%}
    {{ return(adapter.dispatch('identity_run_steps', 'cdp')(steps)) }}
{%- endmacro %}

{% macro duckdb__identity_run_steps(steps) -%}
    {%- set statements = [] -%}
    {%- for step in steps -%}
        {%- if 'relation' in step -%}
            {%- set kind = 'temp table' if step.relation.database == 'temp' else 'table' -%}
            {%- do statements.append("create or replace " ~ kind ~ " " ~ step.relation ~ " as (" ~ step.sql ~ ")") -%}
        {%- elif 'drop' in step -%}
            {%- for relation in step.drop -%}
                {%- do statements.append("drop table if exists " ~ relation) -%}
            {%- endfor -%}
        {%- else -%}
            {%- do statements.append(step.sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set result = run_query(statements | join("; ")) if statements else none -%}
    {{ return(result if 'sql' in steps[-1] and 'relation' not in steps[-1] else none) }}
{%- endmacro %}

{#- Spark (and the default): one statement at a time, each table as identity_create_table makes it. -#}
{% macro default__identity_run_steps(steps) -%}
    {%- set result = namespace(table=none) -%}
    {%- for step in steps -%}
        {%- if 'relation' in step -%}
            {%- do cdp.identity_create_table(step.relation, step.sql) -%}
            {%- set result.table = none -%}
        {%- elif 'drop' in step -%}
            {%- do cdp.identity_drop_tables(step.drop) -%}
            {%- set result.table = none -%}
        {%- else -%}
            {%- set result.table = run_query(step.sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result.table) }}
{%- endmacro %}
