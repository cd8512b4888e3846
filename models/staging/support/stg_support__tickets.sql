with

source as (

    select * from {{ source('support', 'tickets') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as ticket_id,

        -- identifiers, normalised; the helpdesk knows no country, so only international numbers survive
        {{ cdp.normalize_email('requester__email') }} as email,
        requester__email as email_raw,
        {{ cdp.normalize_phone('requester__phone', 'null') }} as phone,
        requester__phone as phone_raw,
        {{ cdp.clean_text('requester__name') }} as requester_name,

        -- ticket
        lower(channel) as ticket_channel,
        subject,
        lower(status) as ticket_status,
        lower(priority) as ticket_priority,
        cast(satisfaction_rating__score as integer) as csat_score,

        -- timestamps
        {{ cdp.utc_timestamp('satisfaction_rating__submitted_at') }} as csat_submitted_at,
        {{ cdp.utc_timestamp('created_at') }} as created_at,
        {{ cdp.utc_timestamp('updated_at') }} as updated_at

    from source

)

select * from renamed
