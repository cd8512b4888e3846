{#- Returns true when `expr` contains a match of the regular expression `pattern_sql`, an SQL
    expression: a quoted literal ("'^[0-9]+$'") or a column. -#}
{% macro regexp_like(expr, pattern_sql) -%}
    {{ return(adapter.dispatch('regexp_like', 'cdp')(expr, pattern_sql)) }}
{%- endmacro %}

{#- Spark and most engines: the RLIKE operator. -#}
{% macro default__regexp_like(expr, pattern_sql) -%}
    ({{ expr }} rlike {{ pattern_sql }})
{%- endmacro %}

{#- DuckDB: regexp_matches searches anywhere in the string, like RLIKE. -#}
{% macro duckdb__regexp_like(expr, pattern_sql) -%}
    regexp_matches({{ expr }}, {{ pattern_sql }})
{%- endmacro %}
