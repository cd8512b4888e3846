{#- Returns a select of one row per (record, identifier) of `relation`: source, source_table,
    source_record_id, identifier_type, identifier_value, observed_at. `identifiers` is a list of
    [identifier_type, column] pairs; a type may appear more than once (primary and secondary email).
    Null values are skipped; junk values are kept here and judged by the identity models. -#}
{% macro identifier_observations(relation, source_name, source_table, record_id, observed_at, identifiers) -%}
    {%- for identifier_type, column in identifiers %}
    select
        '{{ source_name }}' as source,
        '{{ source_table }}' as source_table,
        cast({{ record_id }} as {{ dbt.type_string() }}) as source_record_id,
        '{{ identifier_type }}' as identifier_type,
        cast({{ column }} as {{ dbt.type_string() }}) as identifier_value,
        {{ observed_at }} as observed_at
    from {{ relation }}
    where {{ column }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
