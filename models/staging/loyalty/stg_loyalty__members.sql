with

source as (

    select * from {{ source('loyalty', 'members') }}

),

renamed as (

    select
        -- ids; the card number as exported is the record id, the normalised one the identifier
        card_number as loyalty_member_id,
        upper({{ cdp.regexp_replace_all(cdp.clean_text('card_number'), '[^0-9A-Za-z]', '') }})
            as loyalty_card_number,
        home_store_id,

        -- identifiers, normalised
        {{ cdp.normalize_email('email') }} as email,
        email as email_raw,
        {{ cdp.normalize_phone('phone', cdp.country_code('country')) }} as phone,
        phone as phone_raw,

        -- person
        {{ cdp.clean_text('first_name') }} as first_name,
        {{ cdp.clean_text('last_name') }} as last_name,
        {{ cdp.country_code('country') }} as country_code,
        {{ cdp.date_or_null('birth_date') }} as date_of_birth,
        upper({{ cdp.clean_text('postcode') }}) as postcode,

        -- membership
        lower(tier) as loyalty_tier,
        cast(points_balance as bigint) as points_balance,

        -- timestamps
        {{ cdp.utc_timestamp('joined_at') }} as joined_at,
        {{ cdp.utc_timestamp('updated_at') }} as updated_at

    from source

)

select * from renamed
