{#- Returns the relation of a work table of the identity graph: `<base>__<name>` beside `base`. The graph
    rounds are materialised in such tables (see connected_components); the models read their results. -#}
{% macro identity_work_relation(base, name) -%}
    {{ return(api.Relation.create(
        database=base.database, schema=base.schema, identifier=base.identifier ~ '__' ~ name, type='table')) }}
{%- endmacro %}

{#- Returns the relation of a scratch table of the identity graph: one a run writes and drops itself (the
    rounds of connected_components, the tiers' tables, an incremental run's change set and redone part),
    never read by a model or a later run. -#}
{% macro identity_scratch_relation(base, name) -%}
    {{ return(adapter.dispatch('identity_scratch_relation', 'cdp')(base, name)) }}
{%- endmacro %}

{#- DuckDB: a temporary table (catalog `temp`) of this connection: kept in memory, never written to the
    database file nor checkpointed, gone with the connection if a run fails half-way. -#}
{% macro duckdb__identity_scratch_relation(base, name) -%}
    {{ return(api.Relation.create(
        database='temp', schema='main', identifier=base.identifier ~ '__' ~ name, type='table')) }}
{%- endmacro %}

{% macro default__identity_scratch_relation(base, name) -%}
    {{ return(cdp.identity_work_relation(base, name)) }}
{%- endmacro %}
