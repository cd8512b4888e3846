{#- Returns the moment segments are evaluated at, as a UTC timestamp: the `as_of` var when set
    (tests and backfills pin it), else the current time. -#}
{% macro segment_as_of() -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as timestamp)
    {%- else -%}
        cast({{ dbt.current_timestamp() }} as timestamp)
    {%- endif -%}
{%- endmacro %}
