with

source as (

    select * from {{ source('pos', 'stores') }}

),

renamed as (

    select
        store_id,
        name as store_name,
        {{ cdp.country_code('country_code') }} as country_code,
        city,
        timezone as store_timezone

    from source

)

select * from renamed
