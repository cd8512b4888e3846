{#- Returns the value at `path` (a JSONPath literal such as '$.purpose') of the JSON text `expr`, as text;
    null when the path is absent or the text is not JSON. A JSON boolean comes back as 'true'/'false'. -#}
{% macro json_extract_string(expr, path) -%}
    {{ return(adapter.dispatch('json_extract_string', 'cdp')(expr, path)) }}
{%- endmacro %}

{#- Spark and Hive: get_json_object on a string column. -#}
{% macro default__json_extract_string(expr, path) -%}
    get_json_object({{ expr }}, '{{ path }}')
{%- endmacro %}

{#- DuckDB: json_extract_string (json extension, loaded by default) on JSON or text. -#}
{% macro duckdb__json_extract_string(expr, path) -%}
    json_extract_string({{ expr }}, '{{ path }}')
{%- endmacro %}
