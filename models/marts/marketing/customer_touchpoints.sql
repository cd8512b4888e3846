{#- One row per marketing touch of a known customer at or before as_of, numbered in time order. -#}

with

touches as (

    select * from {{ ref('int_marketing_touches') }}

),

final as (

    select
        touch_id,
        customer_id,
        touched_at,
        touch_type,
        channel,
        is_paid,
        ad_platform,
        utm_source,
        utm_medium,
        utm_campaign,
        click_id_type,
        click_id,
        lead_form_id,
        source,
        source_record_id,
        cast(row_number() over (partition by customer_id order by touched_at, touch_id) as bigint) as touch_number
    from touches
    where customer_id is not null and touched_at <= {{ cdp.as_of() }}

)

select * from final
