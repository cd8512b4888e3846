{#- One row per order line, online or in store, with the product's category and brand from the catalogue,
    the line amount in EUR and the customer the order resolves to. Store return lines count negative. -#}

with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

shop_order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

pos_receipt_lines as (

    select * from {{ ref('stg_pos__receipt_lines') }}

),

products as (

    select * from {{ ref('stg_catalog__products') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

lines as (

    select
        'shop' as source,
        order_id,
        order_line_id,
        sku,
        quantity,
        line_amount
    from shop_order_lines

    union all

    select
        'pos' as source,
        receipt_id as order_id,
        receipt_line_id as order_line_id,
        sku,
        quantity,
        line_amount
    from pos_receipt_lines

),

final as (

    select
        orders.customer_id,
        lines.source,
        lines.order_id,
        lines.order_line_id,
        orders.order_channel,
        orders.ordered_at,
        orders.is_return,
        lines.sku,
        products.product_category,
        products.brand,
        lines.quantity,
        cast(lines.line_amount * currency_rates.eur_per_unit as decimal(18, 2)) as line_amount_eur
    from lines
    inner join orders
        on lines.source = orders.source
        and lines.order_id = orders.order_id
    left join products
        on lines.sku = products.sku
    left join currency_rates
        on orders.currency = currency_rates.currency

)

select * from final
