{#- Returns a text key: the md5 hex digest of the given expressions joined with '|' (nulls as ''). -#}
{% macro hash_key(expressions) -%}
    {%- set parts = [] -%}
    {%- for expr in expressions -%}
        {%- do parts.append("coalesce(cast(" ~ expr ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    {{ dbt.hash(parts | join(" || '|' || ")) }}
{%- endmacro %}
