{#- Returns a condition: `ts` falls in the `days` days up to and including as_of, i.e. in
    (as_of - days, as_of]. The window traits ("in the last 30 days") all use it. -#}
{% macro within_days(ts, days) -%}
    {{ return(adapter.dispatch('within_days', 'cdp')(ts, days)) }}
{%- endmacro %}

{#- Relies on dbt's cross-database `dateadd`. -#}
{% macro default__within_days(ts, days) -%}
    ({{ ts }} > {{ dbt.dateadd('day', -1 * days, cdp.as_of()) }} and {{ ts }} <= {{ cdp.as_of() }})
{%- endmacro %}
