with

source as (

    select * from {{ source('esp', 'subscribers') }}

),

renamed as (

    select
        -- ids
        cast(subscriber_id as {{ dbt.type_string() }}) as esp_subscriber_id,
        list_id,

        -- identifiers, normalised
        {{ cdp.normalize_email('email') }} as email,
        email as email_raw,

        -- subscription
        lower(status) as subscription_status,
        lower(language) as language_code,
        {{ cdp.country_code('country') }} as country_code,

        -- booleans
        lower(status) = 'subscribed' as is_subscribed,

        -- timestamps
        {{ cdp.utc_timestamp('opted_in_at') }} as opted_in_at,
        {{ cdp.utc_timestamp('unsubscribed_at') }} as unsubscribed_at,
        {{ cdp.utc_timestamp('updated_at') }} as updated_at

    from source

)

select * from renamed
