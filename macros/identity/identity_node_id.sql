{#- Returns an expression of a 63-bit integer id for the identity graph node of key `node_key_expression`:
    a hash of the key, so a node keeps its id from one build to the next (an incremental run compares its
    nodes and edges with the last run's state by these integers, not by text). Two keys hashing alike would
    become one node: int_identity_nodes tests node_id unique, so that fails the build instead (odds about
    n^2 / 2^64: 1 in 370,000 at 10M identifiers). -#}
{% macro identity_node_id(node_key_expression) -%}
    {{ return(adapter.dispatch('identity_node_id', 'cdp')(node_key_expression)) }}
{%- endmacro %}

{#- DuckDB: hash() is a 64-bit unsigned murmur hash; shifted right once it fits a signed bigint. -#}
{% macro duckdb__identity_node_id(node_key_expression) -%}
    cast(hash({{ node_key_expression }}) >> 1 as bigint)
{%- endmacro %}

{#- Spark (and the default): xxhash64 returns a signed 64-bit integer. -#}
{% macro default__identity_node_id(node_key_expression) -%}
    xxhash64({{ node_key_expression }})
{%- endmacro %}
