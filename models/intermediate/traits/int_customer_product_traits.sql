{#- One row per customer who bought a catalogued product at or before as_of: the category and the brand
    they bought most units of (ties to the most recent, then alphabetical). -#}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

order_lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

bought as (

    select *
    from order_lines
    where
        customer_id is not null
        and not is_return
        and ordered_at <= {{ cdp.as_of() }}
        and {{ cdp.touched_customers_only() }}

),

favourite_categories as (

    {{ cdp.most_frequent('bought', 'customer_id', 'product_category', 'ordered_at', 'favourite_category',
        weight='quantity') }}

),

favourite_brands as (

    {{ cdp.most_frequent('bought', 'customer_id', 'brand', 'ordered_at', 'favourite_brand', weight='quantity') }}

),

final as (

    select
        favourite_categories.customer_id,
        favourite_categories.favourite_category,
        favourite_brands.favourite_brand
    from favourite_categories
    left join favourite_brands
        on favourite_categories.customer_id = favourite_brands.customer_id

)

select * from final
