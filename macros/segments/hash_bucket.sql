{#- Returns an integer bucket 0..buckets-1 of a text expression, from the first 8 hex digits of its md5. -#}
{% macro hash_bucket(expression, buckets) -%}
    {{ return(adapter.dispatch('hash_bucket', 'cdp')(expression, buckets)) }}
{%- endmacro %}

{#- relies on conv() to read hex, as Spark has it -#}
{% macro default__hash_bucket(expression, buckets) -%}
    cast(conv(substr({{ dbt.hash(expression) }}, 1, 8), 16, 10) as bigint) % {{ buckets }}
{%- endmacro %}

{#- relies on DuckDB reading a '0x' prefixed hex string as an integer literal -#}
{% macro duckdb__hash_bucket(expression, buckets) -%}
    cast(('0x' || substr({{ dbt.hash(expression) }}, 1, 8)) as bigint) % {{ buckets }}
{%- endmacro %}
