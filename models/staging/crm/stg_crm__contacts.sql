with

source as (

    select * from {{ source('crm', 'contacts') }}

),

renamed as (

    select
        -- ids
        cast(contact_id as {{ dbt.type_string() }}) as crm_contact_id,

        -- identifiers, normalised
        {{ cdp.normalize_email('email') }} as email,
        email as email_raw,
        {{ cdp.normalize_email('secondary_email') }} as secondary_email,
        secondary_email as secondary_email_raw,
        {{ cdp.normalize_phone('phone', cdp.country_code('country')) }} as phone,
        phone as phone_raw,
        {{ cdp.normalize_phone('mobile_phone', cdp.country_code('country')) }} as mobile_phone,
        mobile_phone as mobile_phone_raw,

        -- person
        {{ cdp.clean_text('first_name') }} as first_name,
        {{ cdp.clean_text('last_name') }} as last_name,
        {{ cdp.clean_text('company') }} as company_name,
        lower(lifecycle_stage) as lifecycle_stage,
        {{ cdp.country_code('country') }} as country_code,

        -- personal data as typed in by sales (absent from older exports)
        {{ cdp.date_or_null('date_of_birth') }} as date_of_birth,
        {{ cdp.clean_text('street_address') }} as address_line,
        upper({{ cdp.clean_text('postal_code') }}) as postcode,
        {{ cdp.clean_text('city') }} as city,

        -- booleans
        coalesce(cast(email_opt_out as boolean), false) as is_email_opted_out,

        -- timestamps
        {{ cdp.utc_timestamp('created_at') }} as created_at,
        {{ cdp.utc_timestamp('updated_at') }} as updated_at

    from source

)

select * from renamed
