{#- Returns `expr` (a timestamp with time zone, or ISO 8601 text with an offset) as a timestamp
    without time zone in UTC: every `*_at` column of the project is UTC. -#}
{% macro utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'cdp')(expr)) }}
{%- endmacro %}

{#- Spark: casting ISO text with an offset yields the instant in the session time zone (set to UTC). -#}
{% macro default__utc_timestamp(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{#- DuckDB: timezone('UTC', timestamptz) gives the wall-clock time in UTC, whatever the session zone. -#}
{% macro duckdb__utc_timestamp(expr) -%}
    timezone('UTC', try_cast({{ expr }} as timestamptz))
{%- endmacro %}
