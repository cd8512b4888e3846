{#- Returns the distinct non-null values of `expr` in a group, sorted, joined by `delimiter` (a literal). -#}
{% macro sorted_string_agg(expr, delimiter) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'cdp')(expr, delimiter)) }}
{%- endmacro %}

{#- DuckDB (and Postgres-like engines): an ordered aggregate. -#}
{% macro default__sorted_string_agg(expr, delimiter) -%}
    string_agg(distinct {{ expr }}, '{{ delimiter }}' order by {{ expr }})
{%- endmacro %}

{#- Spark has no ordered string aggregate (dbt's listagg drops the order there): collect, sort, join. -#}
{% macro spark__sorted_string_agg(expr, delimiter) -%}
    nullif(array_join(array_sort(collect_set({{ expr }})), '{{ delimiter }}'), '')
{%- endmacro %}
