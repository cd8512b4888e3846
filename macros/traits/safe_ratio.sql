{#- Returns `numerator / denominator` as a double, or null when the denominator is zero or null (a rate of
    nothing is unknown, not zero). -#}
{% macro safe_ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_ratio', 'cdp')(numerator, denominator)) }}
{%- endmacro %}

{#- Plain SQL: `nullif` and a cast, both engines. -#}
{% macro default__safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0)
{%- endmacro %}
