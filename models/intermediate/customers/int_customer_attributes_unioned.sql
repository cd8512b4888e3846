{#- One row per source record that says something about a person (name, country, city, language,
    loyalty tier and points, email consent), with when it said it, and the customer the record resolves
    to. Survivorship (int_customer_attributes_survived) picks one value per attribute from these. -#}

with

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

shop_orders as (

    select * from {{ ref('stg_shop__orders') }}

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

loyalty_members as (

    select * from {{ ref('stg_loyalty__members') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

esp_subscribers as (

    select * from {{ ref('stg_esp__subscribers') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

unioned as (

    select
        'shop' as source,
        'customers' as source_table,
        shop_customer_id as source_record_id,
        first_name,
        last_name,
        country_code,
        city,
        null as language_code,
        null as loyalty_tier,
        null as loyalty_points,
        case when is_accepting_marketing then 'granted' else 'denied' end as email_consent,
        coalesce(updated_at, created_at) as observed_at
    from shop_customers

    union all

    select
        'shop' as source,
        'orders' as source_table,
        order_id as source_record_id,
        null as first_name,
        null as last_name,
        country_code,
        null as city,
        null as language_code,
        null as loyalty_tier,
        null as loyalty_points,
        null as email_consent,
        ordered_at as observed_at
    from shop_orders

    union all

    select
        'crm' as source,
        'contacts' as source_table,
        crm_contact_id as source_record_id,
        first_name,
        last_name,
        country_code,
        null as city,
        null as language_code,
        null as loyalty_tier,
        null as loyalty_points,
        -- an opt-out is a consent signal; no opt-out is not consent
        case when is_email_opted_out then 'denied' end as email_consent,
        coalesce(updated_at, created_at) as observed_at
    from crm_contacts

    union all

    select
        'loyalty' as source,
        'members' as source_table,
        loyalty_member_id as source_record_id,
        first_name,
        last_name,
        country_code,
        null as city,
        null as language_code,
        loyalty_tier,
        points_balance as loyalty_points,
        null as email_consent,
        coalesce(updated_at, joined_at) as observed_at
    from loyalty_members

    union all

    select
        'esp' as source,
        'subscribers' as source_table,
        esp_subscriber_id as source_record_id,
        null as first_name,
        null as last_name,
        country_code,
        null as city,
        language_code,
        null as loyalty_tier,
        null as loyalty_points,
        case when is_subscribed then 'granted' else 'denied' end as email_consent,
        coalesce(unsubscribed_at, updated_at, opted_in_at) as observed_at
    from esp_subscribers

    union all

    select
        'web' as source,
        'events' as source_table,
        event_id as source_record_id,
        first_name,
        last_name,
        null as country_code,
        null as city,
        lower({{ dbt.split_part('locale_code', "'-'", 1) }}) as language_code,
        null as loyalty_tier,
        null as loyalty_points,
        null as email_consent,
        occurred_at as observed_at
    from web_events
    where event_type = 'identify'

),

final as (

    select
        records.customer_id,
        unioned.source,
        unioned.source_table,
        unioned.source_record_id,
        unioned.first_name,
        unioned.last_name,
        unioned.country_code,
        unioned.city,
        unioned.language_code,
        unioned.loyalty_tier,
        unioned.loyalty_points,
        unioned.email_consent,
        unioned.observed_at
    from unioned
    inner join records
        on unioned.source = records.source
        and unioned.source_table = records.source_table
        and unioned.source_record_id = records.source_record_id

)

select * from final
