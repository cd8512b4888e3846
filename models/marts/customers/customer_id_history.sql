{#- Appends the customer id changes of each run; like the registry it feeds on, full refresh keeps it. -#}
{{ config(materialized='incremental', full_refresh=false) }}

with

registry as (

    select * from {{ ref('int_customer_id_registry') }}

),

already_recorded as (

    {% if is_incremental() %}
    select max(changed_at) as changed_at from {{ this }}
    {% else %}
    select cast(null as timestamp) as changed_at
    {% endif %}

),

changes as (

    select distinct
        registry.previous_customer_id as old_customer_id,
        registry.customer_id,
        registry.changed_at,
        registry.change_type,
        case registry.change_type
            when 'merge' then 'components joined by new or re-admitted edges; the oldest id survives'
            else 'component split (data or rule change); the part holding the anchor kept the id'
        end as reason
    from registry
    cross join already_recorded
    where
        registry.is_current
        and registry.change_type is not null
        and (already_recorded.changed_at is null or registry.changed_at > already_recorded.changed_at)

),

final as (

    select * from changes

)

select * from final
