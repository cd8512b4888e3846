with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

identifiers as (

    select * from {{ ref('int_identifiers_judged') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

final as (

    select
        records.customer_id,
        observations.identifier_type,
        observations.identifier_value,
        min(observations.observed_at) as first_seen_at,
        max(observations.observed_at) as last_seen_at,
        count(distinct observations.source_record_key) as count_records,
        bool_and(identifiers.is_linkable) as is_linkable
    from observations
    inner join identifiers
        on observations.identifier_key = identifiers.identifier_key
    inner join records
        on observations.source_record_key = records.source_record_key
    where
        identifiers.is_valid
        -- a cannot-link decision's rule identifier is no identifier of the person (seed identifier_types)
        and observations.identifier_type not like 'cannot_link:%'
    group by records.customer_id, observations.identifier_type, observations.identifier_value

)

select * from final
