with

source as (

    select * from {{ source('ads', 'google_ads_campaigns') }}

),

renamed as (

    select
        -- ids
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- names: campaign names are what the landing URLs carry as utm_campaign
        lower(trim(campaign_name)) as campaign_name,
        lower(campaign_status) as campaign_status,

        -- numerics: cost comes in micros of the account currency
        upper(currency_code) as currency,
        cast(cost_micros / 1000000.0 as decimal(18, 2)) as spend_amount,
        cast(impressions as bigint) as count_impressions,
        cast(clicks as bigint) as count_clicks,
        cast(conversions as double) as count_platform_conversions,

        -- dates
        cast(report_date as date) as report_date,

        _file_name as file_name

    from source

)

select * from renamed
