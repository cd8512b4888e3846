with

source as (

    select * from {{ source('ads', 'meta_insights') }}

),

renamed as (

    select
        -- ids
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,

        -- names: campaign names are what the landing URLs carry as utm_campaign
        ad_name,
        adset_name,
        lower(trim(campaign_name)) as campaign_name,
        objective as campaign_objective,

        -- numerics, spend in the ad account's currency
        upper(account_currency) as currency,
        cast(spend as decimal(18, 2)) as spend_amount,
        cast(impressions as bigint) as count_impressions,
        cast(clicks as bigint) as count_clicks,
        cast(link_clicks as bigint) as count_link_clicks,
        cast(leads as bigint) as count_leads,

        -- dates
        cast(date_start as date) as report_date

    from source

)

select * from renamed
