{#- One row per campaign (channel and utm_campaign) and day: ad spend in EUR where an ad platform reports
    it, and the orders and revenue attributed to the campaign's touches of that day (credit goes to the
    day of the touch, as ad platforms report conversions on the click date) under each model, with ROAS
    and the cost per acquired customer (first orders, first-touch credit). -#}

{%- set models = ['first_touch', 'last_touch', 'linear', 'position_based'] %}

with

spend as (

    select * from {{ ref('int_ad_spend_daily') }}

),

attribution as (

    select * from {{ ref('order_attribution') }}

),

spend_per_campaign as (

    select
        case ad_platform when 'meta' then 'paid_social' when 'google_ads' then 'paid_search' end as channel,
        campaign_name,
        report_date,
        max(ad_platform) as ad_platform,
        max(campaign_id) as campaign_id,
        sum(spend_eur) as spend_eur,
        sum(count_impressions) as count_impressions,
        sum(count_clicks) as count_clicks,
        sum(count_leads) as count_leads
    from spend
    group by
        case ad_platform when 'meta' then 'paid_social' when 'google_ads' then 'paid_search' end,
        campaign_name,
        report_date

),

attributed_per_campaign as (

    select
        channel,
        utm_campaign as campaign_name,
        cast(touched_at as date) as report_date,
        max(ad_platform) as ad_platform,
        {%- for model in models %}
        sum(credit_{{ model }}) as attributed_orders_{{ model }},
        sum(revenue_eur_{{ model }}) as attributed_revenue_eur_{{ model }},
        {%- endfor %}
        sum(case when customer_order_number = 1 then credit_first_touch else 0 end) as acquired_customers
    from attribution
    where touch_id is not null and utm_campaign is not null
    group by channel, utm_campaign, cast(touched_at as date)

),

joined as (

    select
        coalesce(spend_per_campaign.channel, attributed_per_campaign.channel) as channel,
        coalesce(spend_per_campaign.campaign_name, attributed_per_campaign.campaign_name) as campaign_name,
        coalesce(spend_per_campaign.report_date, attributed_per_campaign.report_date) as report_date,
        coalesce(spend_per_campaign.ad_platform, attributed_per_campaign.ad_platform) as ad_platform,
        spend_per_campaign.campaign_id,
        coalesce(spend_per_campaign.spend_eur, 0) as spend_eur,
        coalesce(spend_per_campaign.count_impressions, 0) as count_impressions,
        coalesce(spend_per_campaign.count_clicks, 0) as count_clicks,
        coalesce(spend_per_campaign.count_leads, 0) as count_leads,
        {%- for model in models %}
        coalesce(attributed_per_campaign.attributed_orders_{{ model }}, 0) as attributed_orders_{{ model }},
        coalesce(attributed_per_campaign.attributed_revenue_eur_{{ model }}, 0)
            as attributed_revenue_eur_{{ model }},
        {%- endfor %}
        coalesce(attributed_per_campaign.acquired_customers, 0) as acquired_customers
    from spend_per_campaign
    full outer join attributed_per_campaign
        on spend_per_campaign.channel = attributed_per_campaign.channel
        and spend_per_campaign.campaign_name = attributed_per_campaign.campaign_name
        and spend_per_campaign.report_date = attributed_per_campaign.report_date

),

final as (

    select
        channel || ':' || campaign_name || ':' || cast(report_date as {{ dbt.type_string() }})
            as campaign_day_id,
        channel,
        campaign_name,
        report_date,
        ad_platform,
        campaign_id,
        cast(spend_eur as decimal(18, 2)) as spend_eur,
        cast(count_impressions as bigint) as count_impressions,
        cast(count_clicks as bigint) as count_clicks,
        cast(count_leads as bigint) as count_leads,
        {%- for model in models %}
        cast(attributed_orders_{{ model }} as double) as attributed_orders_{{ model }},
        cast(attributed_revenue_eur_{{ model }} as decimal(18, 2)) as attributed_revenue_eur_{{ model }},
        -- from the rounded figures, so that a reader of the row gets the same ratio
        case
            when cast(spend_eur as decimal(18, 2)) > 0
                then
                    cast(cast(attributed_revenue_eur_{{ model }} as decimal(18, 2)) as double)
                    / cast(cast(spend_eur as decimal(18, 2)) as double)
        end as roas_{{ model }},
        {%- endfor %}
        cast(acquired_customers as double) as acquired_customers,
        case
            when acquired_customers > 0
                then cast(cast(spend_eur as decimal(18, 2)) / acquired_customers as decimal(18, 2))
        end as cost_per_acquired_customer_eur
    from joined

)

select * from final
