with

source as (

    select * from {{ source('social', 'leads') }}

),

renamed as (

    select
        -- ids
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(form_id as {{ dbt.type_string() }}) as lead_form_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(page_id as {{ dbt.type_string() }}) as page_id,

        -- campaign
        lower(trim(campaign_name)) as campaign_name,
        ad_name,
        -- fb = Facebook, ig = Instagram
        case lower(platform) when 'fb' then 'facebook' when 'ig' then 'instagram' end as lead_platform,
        coalesce(is_organic, false) as is_organic,

        -- identifiers, normalised (the form asks for E.164 numbers; no country to read national ones by)
        {{ cdp.normalize_email('email') }} as email,
        email as email_raw,
        {{ cdp.normalize_phone('phone_number', 'cast(null as ' ~ dbt.type_string() ~ ')') }} as phone,
        phone_number as phone_raw,
        {{ cdp.clean_text('full_name') }} as full_name,

        -- consent
        has_marketing_consent,

        -- timestamps
        {{ cdp.utc_timestamp('created_time') }} as created_at,
        {{ cdp.utc_timestamp('notified_at') }} as notified_at,

        field_data_json,
        _file_name as file_name

    from source

)

select * from renamed
