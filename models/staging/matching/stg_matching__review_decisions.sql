with

source as (

    {{ cdp.relation_or_empty(source('matching', 'identity_review_decisions'), [
        ['record_key_l', dbt.type_string()], ['record_key_r', dbt.type_string()],
        ['decision', dbt.type_string()], ['decided_by', dbt.type_string()], ['note', dbt.type_string()],
        ['decided_at', dbt.type_timestamp()]]) }}

),

renamed as (

    select
        -- ids
        cast(record_key_l as {{ dbt.type_string() }}) as record_key_l,
        cast(record_key_r as {{ dbt.type_string() }}) as record_key_r,

        -- decision
        lower(decision) as review_decision,
        cast(decided_by as {{ dbt.type_string() }}) as decided_by,
        cast(note as {{ dbt.type_string() }}) as review_note,

        -- timestamps
        cast(decided_at as {{ dbt.type_timestamp() }}) as decided_at

    from source

)

select * from renamed
