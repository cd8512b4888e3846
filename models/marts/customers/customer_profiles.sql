{%- set survived = ['first_name', 'last_name', 'country_code', 'city', 'language_code', 'loyalty_tier',
    'loyalty_points', 'email_consent'] %}
{#- a micro-batch redoes the customers in `refreshed` only (see below); a whole build every customer -#}
{%- set refreshed_only = 'customer_id in (select refreshed.customer_id from refreshed)'
    if cdp.is_micro_batch_incremental()
    else 'true' %}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

identities as (

    select * from {{ ref('customer_identities') }}

),

survived_attributes as (

    select * from {{ ref('int_customer_attributes_survived') }}

),

events as (

    select * from {{ ref('int_customer_events_unioned') }}

),

order_traits as (

    select * from {{ ref('int_customer_order_traits') }}

),

product_traits as (

    select * from {{ ref('int_customer_product_traits') }}

),

web_traits as (

    select * from {{ ref('int_customer_web_traits') }}

),

email_traits as (

    select * from {{ ref('int_customer_email_traits') }}

),

support_traits as (

    select * from {{ ref('int_customer_support_traits') }}

),

rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

marketing_traits as (

    select * from {{ ref('int_customer_marketing_traits') }}

),

{% if cdp.is_micro_batch_incremental() %}
-- a micro-batch: the customers it touched, and those whose RFM scores moved because the quintiles of all
-- buyers did (int_customer_rfm is rebuilt whole)
refreshed as (

    select touched.customer_id from {{ ref('int_customers_touched') }} as touched

    union

    select rfm.customer_id
    from rfm
    left join {{ this }} as current_profiles
        on rfm.customer_id = current_profiles.customer_id
    where
        current_profiles.customer_id is null
        or coalesce(current_profiles.rfm_recency_score, 0) <> rfm.rfm_recency_score
        or coalesce(current_profiles.rfm_frequency_score, 0) <> rfm.rfm_frequency_score
        or coalesce(current_profiles.rfm_monetary_score, 0) <> rfm.rfm_monetary_score
        or current_profiles.rfm_segment <> rfm.rfm_segment

),

{% endif %}
customers as (

    select distinct customer_id
    from records
    where {{ refreshed_only }}

),

seen as (

    select
        customer_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from events
    where
        occurred_at <= {{ cdp.as_of() }}
        and {{ refreshed_only }}
    group by customer_id

),

-- the primary email and phone: seen on the most records, then most recently
ranked_contacts as (

    select
        customer_id,
        identifier_type,
        identifier_value,
        row_number() over (
            partition by customer_id, identifier_type
            order by count_records desc, last_seen_at desc, identifier_value asc
        ) as contact_rank
    from identities
    where
        identifier_type in ('email', 'phone')
        and {{ refreshed_only }}

),

all_contacts as (

    select
        customer_id,
        {{ cdp.sorted_string_agg("case when identifier_type = 'email' then identifier_value end", ', ') }}
            as all_emails,
        {{ cdp.sorted_string_agg("case when identifier_type = 'phone' then identifier_value end", ', ') }}
            as all_phones
    from identities
    where
        identifier_type in ('email', 'phone')
        and {{ refreshed_only }}
    group by customer_id

),

-- one column per attribute and one saying which source won (rules: seed survivorship_rules)
golden as (

    select
        customer_id,
        {%- for attribute in survived %}
        max(case when attribute_name = '{{ attribute }}' then attribute_value end) as {{ attribute }},
        max(case when attribute_name = '{{ attribute }}' then attribute_source end) as {{ attribute }}_source
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from survived_attributes
    where {{ refreshed_only }}
    group by customer_id

),

final as (

    select
        -- identity and contact
        customers.customer_id,
        emails.identifier_value as primary_email,
        phones.identifier_value as primary_phone,
        golden.first_name,
        golden.last_name,
        golden.country_code as country,
        seen.first_seen_at,
        seen.last_seen_at,
        coalesce(order_traits.count_orders, 0) as orders_count,
        cast(coalesce(order_traits.lifetime_revenue_eur, 0) as decimal(18, 2)) as lifetime_revenue_eur,
        golden.first_name_source,
        golden.last_name_source,
        golden.country_code_source as country_source,
        all_contacts.all_emails,
        all_contacts.all_phones,
        golden.city,
        golden.city_source,
        golden.language_code,
        golden.language_code_source,

        -- consent and loyalty
        golden.email_consent,
        golden.email_consent_source,
        coalesce(email_traits.is_unsubscribed, false) as is_unsubscribed,
        golden.loyalty_tier,
        golden.loyalty_tier_source,
        cast(golden.loyalty_points as bigint) as loyalty_points,
        golden.loyalty_points_source,

        -- orders
        coalesce(order_traits.count_orders_online, 0) as count_orders_online,
        coalesce(order_traits.count_orders_store, 0) as count_orders_store,
        order_traits.average_order_value_eur,
        order_traits.first_order_date,
        order_traits.last_order_date,
        order_traits.days_since_last_order,
        coalesce(order_traits.orders_per_year, 0) as orders_per_year,
        product_traits.favourite_category,
        product_traits.favourite_brand,

        -- web and email engagement
        web_traits.last_web_seen_at,
        coalesce(web_traits.count_web_sessions_30d, 0) as count_web_sessions_30d,
        coalesce(web_traits.count_product_views_30d, 0) as count_product_views_30d,
        coalesce(web_traits.count_cart_adds_without_purchase, 0) as count_cart_adds_without_purchase,
        email_traits.email_open_rate_90d,
        email_traits.email_click_rate_90d,

        -- support
        coalesce(support_traits.count_support_tickets, 0) as count_support_tickets,
        support_traits.average_csat,

        -- RFM
        rfm.rfm_recency_score,
        rfm.rfm_frequency_score,
        rfm.rfm_monetary_score,
        coalesce(rfm.rfm_segment, 'no purchases') as rfm_segment,

        -- marketing: acquisition, last paid touch, lead source
        marketing_traits.acquisition_channel,
        marketing_traits.acquisition_campaign,
        marketing_traits.last_paid_touch_at,
        marketing_traits.last_paid_channel,
        marketing_traits.last_paid_campaign,
        marketing_traits.lead_source,
        marketing_traits.first_lead_at,

        {{ cdp.as_of() }} as traits_as_of
    from customers
    left join seen
        on customers.customer_id = seen.customer_id
    left join ranked_contacts as emails
        on customers.customer_id = emails.customer_id
        and emails.identifier_type = 'email'
        and emails.contact_rank = 1
    left join ranked_contacts as phones
        on customers.customer_id = phones.customer_id
        and phones.identifier_type = 'phone'
        and phones.contact_rank = 1
    left join all_contacts
        on customers.customer_id = all_contacts.customer_id
    left join golden
        on customers.customer_id = golden.customer_id
    left join order_traits
        on customers.customer_id = order_traits.customer_id
    left join product_traits
        on customers.customer_id = product_traits.customer_id
    left join web_traits
        on customers.customer_id = web_traits.customer_id
    left join email_traits
        on customers.customer_id = email_traits.customer_id
    left join support_traits
        on customers.customer_id = support_traits.customer_id
    left join rfm
        on customers.customer_id = rfm.customer_id
    left join marketing_traits
        on customers.customer_id = marketing_traits.customer_id

)

select * from final
