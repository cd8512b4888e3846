{#- One row per event of any source that belongs to a resolved customer: orders, refunds, store visits,
    web and app events, emails, newsletter (un)subscriptions, support tickets, account and loyalty
    sign-ups, CRM contacts. The base of customer_timeline and of first/last seen. -#}

with

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

refunds as (

    select * from {{ ref('int_order_refunds_converted') }}

),

web_events as (

    select * from {{ ref('int_web_events_described') }}

),

email_events as (

    select * from {{ ref('stg_esp__events') }}

),

subscribers as (

    select * from {{ ref('stg_esp__subscribers') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

loyalty_members as (

    select * from {{ ref('stg_loyalty__members') }}

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

-- events of records that resolve through identity: (source, source_table, record id) finds the customer
record_events as (

    select
        'web' as source,
        'events' as source_table,
        event_id as source_record_id,
        event_id,
        occurred_at,
        event_type,
        event_description,
        sku,
        cast(null as decimal(18, 2)) as amount_eur
    from web_events

    union all

    select
        'esp' as source,
        'events' as source_table,
        email_event_id as source_record_id,
        email_event_id as event_id,
        occurred_at,
        {{ dbt.concat(["'email_'", 'email_event_type']) }} as event_type,
        coalesce(campaign_name, campaign_id) as event_description,
        null as sku,
        null as amount_eur
    from email_events

    union all

    select
        'esp' as source,
        'subscribers' as source_table,
        esp_subscriber_id as source_record_id,
        {{ dbt.concat(['esp_subscriber_id', "':subscribed'"]) }} as event_id,
        opted_in_at as occurred_at,
        'newsletter_subscribed' as event_type,
        list_id as event_description,
        null as sku,
        null as amount_eur
    from subscribers
    where opted_in_at is not null

    union all

    select
        'esp' as source,
        'subscribers' as source_table,
        esp_subscriber_id as source_record_id,
        {{ dbt.concat(['esp_subscriber_id', "':unsubscribed'"]) }} as event_id,
        unsubscribed_at as occurred_at,
        'newsletter_unsubscribed' as event_type,
        list_id as event_description,
        null as sku,
        null as amount_eur
    from subscribers
    where unsubscribed_at is not null

    union all

    select
        'support' as source,
        'tickets' as source_table,
        ticket_id as source_record_id,
        ticket_id as event_id,
        created_at as occurred_at,
        'support_ticket_opened' as event_type,
        subject as event_description,
        null as sku,
        null as amount_eur
    from tickets

    union all

    select
        'shop' as source,
        'customers' as source_table,
        shop_customer_id as source_record_id,
        shop_customer_id as event_id,
        created_at as occurred_at,
        'account_created' as event_type,
        account_state as event_description,
        null as sku,
        null as amount_eur
    from shop_customers

    union all

    select
        'loyalty' as source,
        'members' as source_table,
        loyalty_member_id as source_record_id,
        loyalty_member_id as event_id,
        joined_at as occurred_at,
        'loyalty_joined' as event_type,
        loyalty_tier as event_description,
        null as sku,
        null as amount_eur
    from loyalty_members

    union all

    select
        'crm' as source,
        'contacts' as source_table,
        crm_contact_id as source_record_id,
        crm_contact_id as event_id,
        created_at as occurred_at,
        'crm_contact_created' as event_type,
        lifecycle_stage as event_description,
        null as sku,
        null as amount_eur
    from crm_contacts

),

resolved_events as (

    select
        records.customer_id,
        record_events.source,
        record_events.source_table,
        record_events.event_id,
        record_events.occurred_at,
        record_events.event_type,
        record_events.event_description,
        record_events.sku,
        record_events.amount_eur
    from record_events
    inner join records
        on record_events.source = records.source
        and record_events.source_table = records.source_table
        and record_events.source_record_id = records.source_record_id

),

-- orders and refunds already carry their customer
order_events as (

    select
        customer_id,
        source,
        source_table,
        order_id as event_id,
        ordered_at as occurred_at,
        case
            when is_return then 'store_return'
            when order_channel = 'store' then 'store_purchase'
            else 'order_placed'
        end as event_type,
        {{ dbt.concat(['order_channel', "' order '", 'order_id']) }} as event_description,
        null as sku,
        net_amount_eur as amount_eur
    from orders
    where customer_id is not null

    union all

    select
        customer_id,
        'shop' as source,
        'refunds' as source_table,
        refund_id as event_id,
        refunded_at as occurred_at,
        'refund_paid' as event_type,
        {{ dbt.concat(["'refund of order '", 'order_id']) }} as event_description,
        null as sku,
        -1 * refund_amount_eur as amount_eur
    from refunds
    where customer_id is not null

),

final as (

    select * from resolved_events
    union all
    select * from order_events

)

select * from final
