{#- Item-to-item collaborative filtering: two products are similar by how many customers bought or viewed
    both; a customer's candidates are the products co-occurring with what they interacted with, scored by
    the sum of co-occurrences times interaction weight. The product that contributed
    most is the reason. Short lists are topped up with the most bought products.
    In a micro-batch (var micro_batch_files) only the touched customers' lists are redone, from the
    co-occurrences of every customer's current interactions; the other lists wait for the next whole build
    (docs/realtime.md). -#}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_customers_touched') }}

{%- set consumable_categories = var('cdp_consumable_categories', []) %}
{%- set consumable_condition = 'false' %}
{%- if consumable_categories %}
{%- set consumable_condition = "product_category in ('" ~ consumable_categories | join("', '") ~ "')" %}
{%- endif %}

with

interactions as (

    select * from {{ ref('int_customer_product_interactions') }}

),

products as (

    select * from {{ ref('stg_catalog__products') }}

),

recommendable as (

    select
        sku,
        product_name,
        product_category,
        brand,
        {{ consumable_condition }} as is_consumable
    from products
    where
        is_active
        and stock_quantity > 0

),

product_customers as (

    select
        sku,
        count(*) as count_customers,
        sum(case when is_bought then 1 else 0 end) as count_buyers
    from interactions
    group by sku

),

co_occurrences as (

    select
        left_side.sku,
        right_side.sku as similar_sku,
        count(*) as count_common_customers
    from interactions as left_side
    inner join interactions as right_side
        on left_side.customer_id = right_side.customer_id
        and left_side.sku <> right_side.sku
    group by left_side.sku, right_side.sku

),

-- raw co-occurrence counts: on a few hundred baskets they beat cosine, which over-rewards rare products
-- (measured: tests/customer360/, benchmarks/customer360_recommendations.py)
similarities as (

    select
        sku,
        similar_sku,
        cast(count_common_customers as double) as similarity
    from co_occurrences

),

-- the customers whose lists this run writes: all of them, or a micro-batch's touched ones
listed_interactions as (

    select *
    from interactions
    where {{ cdp.touched_customers_only() }}

),

candidate_contributions as (

    select
        listed_interactions.customer_id,
        similarities.similar_sku as sku,
        listed_interactions.sku as because_of_sku,
        listed_interactions.interaction_weight * similarities.similarity as contribution
    from listed_interactions
    inner join similarities
        on listed_interactions.sku = similarities.sku

),

-- the reason is the product that contributed most; ties go to the lowest sku, so every build names the same one
candidate_contributions_ranked as (

    select
        customer_id,
        sku,
        because_of_sku,
        contribution,
        sum(contribution) over (partition by customer_id, sku) as score,
        row_number() over (
            partition by customer_id, sku
            order by contribution desc, because_of_sku asc
        ) as contribution_rank
    from candidate_contributions

),

candidates as (

    select
        customer_id,
        sku,
        score,
        because_of_sku
    from candidate_contributions_ranked
    where contribution_rank = 1

),

popular as (

    select
        product_customers.sku,
        product_customers.count_buyers
    from product_customers
    inner join recommendable
        on product_customers.sku = recommendable.sku
    where product_customers.count_buyers > 0
    order by product_customers.count_buyers desc, product_customers.sku asc
    limit 20

),

customers as (

    select distinct customer_id from listed_interactions

),

-- popular products score below any co-occurrence candidate; they only fill short lists
padded as (

    select
        customer_id,
        sku,
        score,
        because_of_sku,
        'co_occurrence' as recommendation_source
    from candidates

    union all

    select
        customers.customer_id,
        popular.sku,
        -1.0 / (1 + popular.count_buyers) as score,
        null as because_of_sku,
        'popular' as recommendation_source
    from customers
    cross join popular

),

eligible as (

    select
        padded.customer_id,
        padded.sku,
        padded.score,
        padded.because_of_sku,
        padded.recommendation_source,
        row_number() over (
            partition by padded.customer_id, padded.sku
            order by padded.score desc
        ) as duplicate_rank
    from padded
    inner join recommendable
        on padded.sku = recommendable.sku
    left join interactions as already
        on padded.customer_id = already.customer_id
        and padded.sku = already.sku
        and already.is_bought
    where already.sku is null or recommendable.is_consumable

),

ranked as (

    select
        customer_id,
        sku,
        score,
        because_of_sku,
        recommendation_source,
        cast(row_number() over (partition by customer_id order by score desc, sku asc) as bigint) as recommendation_rank
    from eligible
    where duplicate_rank = 1

),

final as (

    select
        ranked.customer_id,
        ranked.recommendation_rank,
        ranked.sku,
        recommendable.product_name,
        recommendable.product_category,
        recommendable.brand,
        round(ranked.score, 6) as score,
        ranked.recommendation_source,
        ranked.because_of_sku,
        case
            when ranked.recommendation_source = 'popular' then 'popular with other customers'
            else {{ dbt.concat(["'customers who bought or viewed '", 'because_of_sku', "' also chose this'"]) }}
        end as reason
    from ranked
    inner join recommendable
        on ranked.sku = recommendable.sku
    where ranked.recommendation_rank <= 10

)

select * from final
