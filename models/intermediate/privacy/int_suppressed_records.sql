{#- One row per source record that carries an identifier on the suppression list (privacy.suppressions):
    such a record is about a suppressed person even where the identity graph put it with someone else
    (a shared phone, an email typed into another account). int_source_records_resolved leaves these
    records out, as ingestion drops new ones. Empty without a suppression list. -#}

{%- set suppressions = adapter.get_relation(
    database=target.database, schema='privacy', identifier='suppressions') if execute else none -%}

with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

{% if suppressions %}
suppressed_hashes as (

    select distinct identifier_hash
    from {{ suppressions }}

),

hashed_observations as (

    select
        source_record_key,
        {{ cdp.keyed_hash("identifier_type || ':' || lower(trim(identifier_value))") }} as identifier_hash
    from observations
    where identifier_value is not null

),
{% else %}
suppressed_hashes as (

    select cast(null as {{ dbt.type_string() }}) as identifier_hash
    where 1 = 0

),

hashed_observations as (

    select
        source_record_key,
        cast(null as {{ dbt.type_string() }}) as identifier_hash
    from observations
    where 1 = 0

),
{% endif %}

final as (

    select distinct hashed_observations.source_record_key
    from hashed_observations
    inner join suppressed_hashes
        on hashed_observations.identifier_hash = suppressed_hashes.identifier_hash

)

select * from final
