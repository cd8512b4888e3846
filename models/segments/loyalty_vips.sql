{#- Customers holding a gold or platinum loyalty card. -#}

with

loyalty_members as (

    select * from {{ ref('stg_loyalty__members') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

final as (

    select distinct records.customer_id
    from loyalty_members
    inner join records
        on records.source = 'loyalty'
        and records.source_table = 'members'
        and loyalty_members.loyalty_member_id = records.source_record_id
    where loyalty_members.loyalty_tier in ('gold', 'platinum')

)

select * from final
