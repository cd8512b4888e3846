{#- One row per profile-bearing source record (shop customer, CRM contact, loyalty member, support ticket,
    lead-form fill): the comparison features the probabilistic matcher (cdp/matching, `cdp match`) scores,
    lower-cased and split (email local part and domain; its letters alone, so that the matcher can tell a
    typo from a namesake's address that differs by a dot or a number), birth date as `YYYYMMDD` text (so that one digit
    off is one edit and a day-month swap is a substring test), postcode without spaces, address and city
    lower-case. `source_record_key` is the key of int_identifier_observations. Which source holds what:
    shop accounts an address (default address), CRM contacts a birth date and an address, loyalty members
    a birth date and a postcode; support tickets and lead-form fills neither. -#}

with

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

loyalty_members as (

    select * from {{ ref('stg_loyalty__members') }}

),

support_tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

social_leads as (

    select * from {{ ref('stg_social__leads') }}

),

unioned as (

    select
        'shop/customers/' || shop_customers.shop_customer_id as source_record_key,
        'shop' as source,
        shop_customers.first_name,
        shop_customers.last_name,
        shop_customers.email,
        shop_customers.phone,
        cast(null as date) as date_of_birth,
        shop_customers.address_line,
        shop_customers.postcode,
        shop_customers.city,
        shop_customers.country_code,
        coalesce(shop_customers.updated_at, shop_customers.created_at) as observed_at
    from shop_customers

    union all

    select
        'crm/contacts/' || crm_contacts.crm_contact_id as source_record_key,
        'crm' as source,
        crm_contacts.first_name,
        crm_contacts.last_name,
        crm_contacts.email,
        coalesce(crm_contacts.mobile_phone, crm_contacts.phone) as phone,
        crm_contacts.date_of_birth,
        crm_contacts.address_line,
        crm_contacts.postcode,
        crm_contacts.city,
        crm_contacts.country_code,
        coalesce(crm_contacts.updated_at, crm_contacts.created_at) as observed_at
    from crm_contacts

    union all

    select
        'loyalty/members/' || loyalty_members.loyalty_member_id as source_record_key,
        'loyalty' as source,
        loyalty_members.first_name,
        loyalty_members.last_name,
        loyalty_members.email,
        loyalty_members.phone,
        loyalty_members.date_of_birth,
        cast(null as {{ dbt.type_string() }}) as address_line,
        loyalty_members.postcode,
        cast(null as {{ dbt.type_string() }}) as city,
        loyalty_members.country_code,
        coalesce(loyalty_members.updated_at, loyalty_members.joined_at) as observed_at
    from loyalty_members

    union all

    select
        'support/tickets/' || support_tickets.ticket_id as source_record_key,
        'support' as source,
        {{ dbt.split_part('trim(support_tickets.requester_name)', "' '", 1) }} as first_name,
        nullif(trim(substr(
            trim(support_tickets.requester_name),
            length({{ dbt.split_part('trim(support_tickets.requester_name)', "' '", 1) }}) + 1
        )), '') as last_name,
        support_tickets.email,
        support_tickets.phone,
        cast(null as date) as date_of_birth,
        cast(null as {{ dbt.type_string() }}) as address_line,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as country_code,
        support_tickets.created_at as observed_at
    from support_tickets

    union all

    select
        'social/leads/' || social_leads.lead_id as source_record_key,
        'social' as source,
        {{ dbt.split_part('trim(social_leads.full_name)', "' '", 1) }} as first_name,
        nullif(trim(substr(
            trim(social_leads.full_name),
            length({{ dbt.split_part('trim(social_leads.full_name)', "' '", 1) }}) + 1
        )), '') as last_name,
        social_leads.email,
        social_leads.phone,
        cast(null as date) as date_of_birth,
        cast(null as {{ dbt.type_string() }}) as address_line,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as country_code,
        social_leads.created_at as observed_at
    from social_leads

),

final as (

    select
        source_record_key,
        source,
        nullif(lower(trim(first_name)), '') as first_name,
        nullif(lower(trim(last_name)), '') as last_name,
        email,
        {{ dbt.split_part('email', "'@'", 1) }} as email_local,
        {{ dbt.split_part('email', "'@'", 2) }} as email_domain,
        {{ cdp.regexp_replace_all('email', '[^a-z@]', '') }} as email_letters,
        phone,
        replace(cast(date_of_birth as {{ dbt.type_string() }}), '-', '') as date_of_birth,
        nullif(lower(trim(address_line)), '') as address_line,
        nullif(upper(replace(postcode, ' ', '')), '') as postcode,
        nullif(lower(trim(city)), '') as city,
        country_code,
        observed_at
    from unioned

)

select * from final
