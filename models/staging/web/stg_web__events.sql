with

source as (

    select * from {{ source('web', 'events') }}

),

renamed as (

    select
        -- ids
        message_id as event_id,
        {{ cdp.clean_text('anonymous_id') }} as anonymous_id,
        {{ cdp.clean_text('user_id') }} as user_id,
        {{ cdp.clean_text('previous_id') }} as previous_id,
        {{ cdp.clean_text('context_device_id') }} as device_id,

        -- event
        type as event_type,
        event as event_name,
        name as page_name,

        -- context
        context_ip as ip_address,
        context_user_agent as user_agent,
        context_locale as locale_code,
        {{ cdp.country_code(cdp.regexp_replace_all('context_locale', '^[a-zA-Z]+[-_]', '')) }} as country_code,
        context_device_type as device_type,
        context_page_url as page_url,
        context_page_path as page_path,
        context_page_referrer as page_referrer,
        context_campaign_source as utm_source,
        context_campaign_medium as utm_medium,
        context_campaign_name as utm_campaign,

        -- traits, normalised
        {{ cdp.normalize_email('traits_email') }} as email,
        traits_email as email_raw,
        {{ cdp.normalize_phone('traits_phone', cdp.regexp_replace_all('context_locale', '^[a-zA-Z]+[-_]', '')) }}
            as phone,
        traits_phone as phone_raw,
        {{ cdp.clean_text('traits_first_name') }} as first_name,
        {{ cdp.clean_text('traits_last_name') }} as last_name,

        -- properties
        cast(properties_product_id as {{ dbt.type_string() }}) as product_id,
        properties_sku as sku,
        properties_category as product_category,
        cast(properties_price as decimal(18, 2)) as price_amount,
        cast(properties_quantity as integer) as quantity,
        properties_cart_id as cart_id,
        cast(properties_order_id as {{ dbt.type_string() }}) as order_id,
        cast(properties_revenue as decimal(18, 2)) as revenue_amount,
        upper(properties_currency) as currency,

        -- consent (Consent Updated events), read from the whole properties JSON
        lower({{ cdp.json_extract_string('properties', '$.purpose') }}) as consent_purpose,
        lower({{ cdp.json_extract_string('properties', '$.channel') }}) as consent_channel,
        case lower({{ cdp.json_extract_string('properties', '$.granted') }})
            when 'true' then true
            when 'false' then false
        end as is_consent_granted,

        -- timestamps
        {{ cdp.utc_timestamp('timestamp') }} as occurred_at,
        {{ cdp.utc_timestamp('sent_at') }} as sent_at,
        {{ cdp.utc_timestamp('received_at') }} as received_at,

        _file_name as file_name

    from source

)

select * from renamed
