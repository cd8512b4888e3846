{#- Returns nothing. In `target`, replaces the rows whose `key_column` is listed in `keys` (a relation with
    a `node_id` column) by the rows of `rows` (same columns as `target`): how an incremental identity run
    writes back the part of the graph it redid without rewriting the rest. -#}
{% macro identity_replace_rows(target, key_column, keys, rows) -%}
    {{ return(adapter.dispatch('identity_replace_rows', 'cdp')(target, key_column, keys, rows)) }}
{%- endmacro %}

{#- DuckDB: row-level delete, then insert by column name, as one batch; work proportional to the rows
    replaced. -#}
{% macro duckdb__identity_replace_rows(target, key_column, keys, rows) -%}
    {%- do cdp.identity_run_steps([
        {'sql': "delete from " ~ target ~ " where " ~ key_column ~ " in (select node_id from " ~ keys ~ ")"},
        {'sql': cdp.identity_insert_statement(target, "select * from " ~ rows)}]) -%}
{%- endmacro %}

{#- Spark on plain Parquet (and the default) has no row-level delete: write the kept rows and the new
    ones to a new table (an anti-join, a union) and swap it in. -#}
{% macro default__identity_replace_rows(target, key_column, keys, rows) -%}
    {%- set names = adapter.get_columns_in_relation(target) | map(attribute='name') | list -%}
    {%- set kept_columns = [] -%}
    {%- for name in names -%}
        {%- do kept_columns.append('kept.' ~ name) -%}
    {%- endfor -%}
    {%- set replaced = api.Relation.create(database=target.database, schema=target.schema,
        identifier=target.identifier ~ '_replaced', type='table') -%}
    {%- do adapter.drop_relation(replaced) -%}
    {%- do run_query(create_table_as(False, replaced, "
        select " ~ kept_columns | join(', ') ~ " from " ~ target ~ " as kept
        left join " ~ keys ~ " as keys on kept." ~ key_column ~ " = keys.node_id
        where keys.node_id is null
        union all
        select " ~ names | join(', ') ~ " from " ~ rows)) -%}
    {%- do adapter.drop_relation(target) -%}
    {%- do adapter.rename_relation(replaced, target) -%}
{%- endmacro %}

{#- Returns the statement that appends to `target` the rows of the select `rows_sql` (the columns of
    `target`, by name): how an incremental identity run adds the new nodes' rows and the new edges'
    statuses when no old one changed (in its batch of last writes, identity_run_steps). -#}
{% macro identity_insert_statement(target, rows_sql) -%}
    {{ return(adapter.dispatch('identity_insert_statement', 'cdp')(target, rows_sql)) }}
{%- endmacro %}

{% macro duckdb__identity_insert_statement(target, rows_sql) -%}
    {{ return("insert into " ~ target ~ " by name " ~ rows_sql) }}
{%- endmacro %}

{#- Spark (and the default): by position, in the order of `target`'s columns. -#}
{% macro default__identity_insert_statement(target, rows_sql) -%}
    {%- set names = adapter.get_columns_in_relation(target) | map(attribute='name') | list -%}
    {{ return("insert into " ~ target ~ " select " ~ names | join(', ') ~ " from (" ~ rows_sql ~ ") as added") }}
{%- endmacro %}
