{#- Returns a select of one row per (record, identifier) of `relation`: source, source_table,
    source_record_id, identifier_type, identifier_value (normalised; null when the value could not be
    normalised), raw_value (as the source gave it) and observed_at. `identifiers` is a list of
    [identifier_type, column] or [identifier_type, column, raw_column] entries; a type may appear more
    than once (primary and secondary email). A record that gave any value is kept, junk (even an
    empty string) included, so every record that carries an identifier is accounted for; the identity
    models judge the values. -#}
{% macro identifier_observations(relation, source_name, source_table, record_id, observed_at, identifiers) -%}
    {%- for entry in identifiers %}
        {%- set identifier_type, column = entry[0], entry[1] -%}
        {%- set raw_column = entry[2] if entry | length > 2 else column %}
    select
        '{{ source_name }}' as source,
        '{{ source_table }}' as source_table,
        cast({{ record_id }} as {{ dbt.type_string() }}) as source_record_id,
        '{{ identifier_type }}' as identifier_type,
        cast({{ column }} as {{ dbt.type_string() }}) as identifier_value,
        trim(cast({{ raw_column }} as {{ dbt.type_string() }})) as raw_value,
        {{ observed_at }} as observed_at
    from {{ relation }}
    where {{ column }} is not null or {{ raw_column }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
