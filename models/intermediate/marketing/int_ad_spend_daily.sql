{#- One row per ad platform, campaign and day: spend in the account currency and in EUR (seed
    currency_rates), impressions, clicks and leads, from the Meta insights (summed over ads) and the
    Google Ads report. -#}

with

meta_insights as (

    select * from {{ ref('stg_ads__meta_insights') }}

),

google_campaigns as (

    select * from {{ ref('stg_ads__google_ads_campaigns') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

meta_per_campaign as (

    select
        'meta' as ad_platform,
        campaign_id,
        campaign_name,
        report_date,
        currency,
        sum(spend_amount) as spend_amount,
        sum(count_impressions) as count_impressions,
        sum(count_clicks) as count_clicks,
        sum(count_leads) as count_leads
    from meta_insights
    group by campaign_id, campaign_name, report_date, currency

),

google_per_campaign as (

    select
        'google_ads' as ad_platform,
        campaign_id,
        campaign_name,
        report_date,
        currency,
        spend_amount,
        count_impressions,
        count_clicks,
        cast(0 as bigint) as count_leads
    from google_campaigns

),

unioned as (

    select * from meta_per_campaign
    union all
    select * from google_per_campaign

),

final as (

    select
        unioned.ad_platform,
        unioned.campaign_id,
        unioned.campaign_name,
        unioned.report_date,
        unioned.currency,
        unioned.spend_amount,
        cast(unioned.spend_amount * currency_rates.eur_per_unit as decimal(18, 2)) as spend_eur,
        unioned.count_impressions,
        unioned.count_clicks,
        unioned.count_leads
    from unioned
    left join currency_rates
        on unioned.currency = currency_rates.currency

)

select * from final
