with

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

final as (

    select
        customer_id,
        source,
        source_table,
        source_record_id
    from records

)

select * from final
