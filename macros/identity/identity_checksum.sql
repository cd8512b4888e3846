{#- Returns an aggregate expression: the sum of a 64-bit hash of `columns` over the rows where `condition`
    holds (every row when none), 0 over no rows; an exact number (no overflow). Two sets of rows with the
    same count and the same sum are the same rows, but for odds of about 1 in 2^64: how an incremental
    identity run proves, in one scan, that a table only grew since its last run (resolve_identity_graph).
    The value is only ever compared with values of the same engine and the same column types. -#}
{% macro identity_checksum(columns, condition=none) -%}
    {{ return(adapter.dispatch('identity_checksum', 'cdp')(columns, condition)) }}
{%- endmacro %}

{#- DuckDB: hash() of several values is a UBIGINT (order of the values matters); their sum is a HUGEINT. -#}
{% macro duckdb__identity_checksum(columns, condition) -%}
    {%- set hashed = "hash(" ~ columns | join(", ") ~ ")" -%}
    coalesce(sum({{ "case when " ~ condition ~ " then " ~ hashed ~ " end" if condition else hashed }}), 0)
{%- endmacro %}

{#- Spark (and the default): xxhash64() of several values is a signed BIGINT; summed as decimal(38, 0), so
    ten million rows stay far from overflow. -#}
{% macro default__identity_checksum(columns, condition) -%}
    {%- set hashed = "cast(xxhash64(" ~ columns | join(", ") ~ ") as decimal(38, 0))" -%}
    coalesce(sum({{ "case when " ~ condition ~ " then " ~ hashed ~ " end" if condition else hashed }}),
        cast(0 as decimal(38, 0)))
{%- endmacro %}
