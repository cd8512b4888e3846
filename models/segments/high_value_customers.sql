{#- Customers in the top decile of lifetime revenue (EUR, net of refunds) among customers who bought. -#}

with

profiles as (

    select * from {{ ref('customer_profiles') }}

),

deciles as (

    select
        customer_id,
        ntile(10) over (order by lifetime_revenue_eur desc, customer_id asc) as revenue_decile
    from profiles
    where lifetime_revenue_eur > 0

),

final as (

    select customer_id
    from deciles
    where revenue_decile = 1

)

select * from final
