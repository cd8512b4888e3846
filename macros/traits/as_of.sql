{#- Returns the instant traits are computed at, a UTC timestamp: `var('as_of')` (a date or timestamp, e.g.
    `--vars '{as_of: 2026-06-30}'`) or, when it is not set, now. Every trait model keeps only facts that
    happened at or before it, so a past as_of sees what was known then and nothing later. -#}
{% macro as_of() -%}
    {{ return(adapter.dispatch('as_of', 'cdp')()) }}
{%- endmacro %}

{#- Both engines: ISO text casts to a timestamp; `current_timestamp` is read in the session zone (UTC). -#}
{% macro default__as_of() -%}
    {%- if var('as_of', none) is none -%}
        cast({{ dbt.current_timestamp() }} as timestamp)
    {%- else -%}
        cast('{{ var("as_of") }}' as timestamp)
    {%- endif -%}
{%- endmacro %}
