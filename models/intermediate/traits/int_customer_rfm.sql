{#- One row per customer who ordered at or before as_of: recency, frequency and monetary scores from 1
    (bottom fifth of buyers) to 5 (top fifth), and a readable segment from recency and frequency. Equal
    values share the lowest score of their rank (percent_rank), so the scores do not depend on row order
    and the many one-order buyers score 1 on frequency. -#}

with

order_traits as (

    select * from {{ ref('int_customer_order_traits') }}

),

scored as (

    select
        customer_id,
        cast(
            least(1 + floor(percent_rank() over (order by last_order_at asc) * 5), 5) as integer
        ) as rfm_recency_score,
        cast(
            least(1 + floor(percent_rank() over (order by count_orders asc) * 5), 5) as integer
        ) as rfm_frequency_score,
        cast(
            least(1 + floor(percent_rank() over (order by lifetime_revenue_eur asc) * 5), 5) as integer
        ) as rfm_monetary_score
    from order_traits
    where count_orders > 0

),

final as (

    select
        customer_id,
        rfm_recency_score,
        rfm_frequency_score,
        rfm_monetary_score,
        {{ cdp.rfm_segment('rfm_recency_score', 'rfm_frequency_score') }} as rfm_segment
    from scored

)

select * from final
