with

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

identities as (

    select * from {{ ref('customer_identities') }}

),

attributes as (

    select * from {{ ref('int_customer_attributes_unioned') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

customers as (

    select distinct customer_id from records

),

seen as (

    select
        records.customer_id,
        min(observations.observed_at) as first_seen_at,
        max(observations.observed_at) as last_seen_at
    from records
    inner join observations
        on records.source_record_key = observations.source_record_key
    group by records.customer_id

),

-- the primary email and phone: seen on the most records, then most recently
ranked_contacts as (

    select
        customer_id,
        identifier_type,
        identifier_value,
        row_number() over (
            partition by customer_id, identifier_type
            order by count_records desc, last_seen_at desc, identifier_value asc
        ) as contact_rank
    from identities
    where identifier_type in ('email', 'phone')

),

-- the name: the most recent record that gives one
ranked_names as (

    select
        customer_id,
        first_name,
        last_name,
        row_number() over (
            partition by customer_id
            order by observed_at desc, source asc, source_record_id asc
        ) as name_rank
    from attributes
    where first_name is not null or last_name is not null

),

-- the country: the one most records give, then the most recent
ranked_countries as (

    select
        customer_id,
        country_code,
        row_number() over (
            partition by customer_id
            order by count(*) desc, max(observed_at) desc, country_code asc
        ) as country_rank
    from attributes
    where country_code is not null
    group by customer_id, country_code

),

orders_per_customer as (

    select
        customer_id,
        count(distinct case when not is_return then source || '/' || order_id end) as orders_count,
        sum(net_amount_eur) as lifetime_revenue_eur
    from orders
    where customer_id is not null
    group by customer_id

),

final as (

    select
        customers.customer_id,
        emails.identifier_value as primary_email,
        phones.identifier_value as primary_phone,
        person_names.first_name,
        person_names.last_name,
        countries.country_code as country,
        seen.first_seen_at,
        seen.last_seen_at,
        coalesce(orders_per_customer.orders_count, 0) as orders_count,
        cast(coalesce(orders_per_customer.lifetime_revenue_eur, 0) as decimal(18, 2)) as lifetime_revenue_eur
    from customers
    left join seen
        on customers.customer_id = seen.customer_id
    left join ranked_contacts as emails
        on customers.customer_id = emails.customer_id
        and emails.identifier_type = 'email'
        and emails.contact_rank = 1
    left join ranked_contacts as phones
        on customers.customer_id = phones.customer_id
        and phones.identifier_type = 'phone'
        and phones.contact_rank = 1
    left join ranked_names as person_names
        on customers.customer_id = person_names.customer_id
        and person_names.name_rank = 1
    left join ranked_countries as countries
        on customers.customer_id = countries.customer_id
        and countries.country_rank = 1
    left join orders_per_customer
        on customers.customer_id = orders_per_customer.customer_id

)

select * from final
