{#- Returns `expr` (text `YYYY-MM-DD`, as a person typed it) as a date, or null when it is not a real
    date (`1985-02-30`, `n/a`): a mistyped birth date must not fail the build. -#}
{% macro date_or_null(expr) -%}
    {{ return(adapter.dispatch('date_or_null', 'cdp')(expr)) }}
{%- endmacro %}

{#- Spark (ANSI mode off, the default): a cast of text that is not a date yields null. -#}
{% macro default__date_or_null(expr) -%}
    case
        when {{ cdp.regexp_like('trim(' ~ expr ~ ')', "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'") }}
            then cast(trim({{ expr }}) as date)
    end
{%- endmacro %}

{#- DuckDB: a plain cast fails on an impossible date; try_cast yields null. -#}
{% macro duckdb__date_or_null(expr) -%}
    case
        when {{ cdp.regexp_like('trim(' ~ expr ~ ')', "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'") }}
            then try_cast(trim({{ expr }}) as date)
    end
{%- endmacro %}
