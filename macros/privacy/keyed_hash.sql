{#- The suppression list's keyed hash (HMAC-SHA256) of a text expression. The key stays in Python: on
    DuckDB the profile's plug-in (cdp/privacy/dbt_plugin.py) registers cdp_keyed_hash(); another engine
    must register a function of that name on its session. -#}
{% macro keyed_hash(expression) -%}
    {{ return(adapter.dispatch('keyed_hash', 'cdp')(expression)) }}
{%- endmacro %}

{% macro default__keyed_hash(expression) -%}
    cdp_keyed_hash({{ expression }})
{%- endmacro %}
