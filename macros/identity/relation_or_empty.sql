{#- `select * from relation` when the relation exists, else an empty row set with the given typed columns
    ([[name, type], ...]). For tables written outside dbt (the matcher's scored links, review decisions):
    `dbt build` on a warehouse where `cdp match` never ran, or on Spark, reads no links instead of failing. -#}
{% macro relation_or_empty(relation, columns) -%}
    {%- set found = none -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- endif -%}
    {%- if found is not none -%}
        select {% for column in columns %}{{ column[0] }}{{ ", " if not loop.last }}{% endfor %}
        from {{ relation }}
    {%- else -%}
        select
        {%- for column in columns %}
            cast(null as {{ column[1] }}) as {{ column[0] }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
