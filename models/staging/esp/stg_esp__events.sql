with

source as (

    select * from {{ source('esp', 'events') }}

),

renamed as (

    select
        -- ids
        cast(event_id as {{ dbt.type_string() }}) as email_event_id,
        cast(subscriber_id as {{ dbt.type_string() }}) as esp_subscriber_id,
        campaign_id,

        -- identifiers, normalised
        {{ cdp.normalize_email('email') }} as email,
        email as email_raw,

        -- event
        lower(event_type) as email_event_type,
        campaign_name,
        url as clicked_url,
        bounce_type,

        -- timestamps
        {{ cdp.utc_timestamp('occurred_at') }} as occurred_at

    from source

)

select * from renamed
