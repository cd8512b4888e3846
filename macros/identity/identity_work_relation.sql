{#- Returns the relation of a work table of the identity graph: `<base>__<name>` beside `base`. The graph
    rounds are materialised in such tables (see connected_components); the models read their results. -#}
{% macro identity_work_relation(base, name) -%}
    {{ return(api.Relation.create(
        database=base.database, schema=base.schema, identifier=base.identifier ~ '__' ~ name, type='table')) }}
{%- endmacro %}
