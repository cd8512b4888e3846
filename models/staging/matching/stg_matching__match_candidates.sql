with

source as (

    {{ cdp.relation_or_empty(source('matching', 'identity_match_candidates'), [
        ['record_key_l', dbt.type_string()], ['record_key_r', dbt.type_string()],
        ['match_probability', dbt.type_float()], ['match_weight', dbt.type_float()],
        ['contributions', dbt.type_string()], ['model_id', dbt.type_string()],
        ['scored_at', dbt.type_timestamp()]]) }}

),

renamed as (

    select
        -- ids
        cast(record_key_l as {{ dbt.type_string() }}) as record_key_l,
        cast(record_key_r as {{ dbt.type_string() }}) as record_key_r,
        cast(model_id as {{ dbt.type_string() }}) as match_model_id,

        -- numerics
        cast(match_probability as {{ dbt.type_float() }}) as match_probability,
        cast(match_weight as {{ dbt.type_float() }}) as match_weight,

        -- per-comparison levels and weights (JSON text)
        cast(contributions as {{ dbt.type_string() }}) as match_contributions,

        -- timestamps
        cast(scored_at as {{ dbt.type_timestamp() }}) as scored_at

    from source

)

select * from renamed
