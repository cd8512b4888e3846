{#- Every identifier every source record carries, in one long table. To add a source, add its staging
    model here with its record id, timestamp and identifier columns. -#}

with

shop_customers as (
    {{ cdp.identifier_observations(ref('stg_shop__customers'), 'shop', 'customers', 'shop_customer_id',
        'coalesce(updated_at, created_at)',
        [['user_id', 'shop_customer_id'], ['email', 'email', 'email_raw'], ['phone', 'phone', 'phone_raw']]) }}
),

shop_orders as (
    {{ cdp.identifier_observations(ref('stg_shop__orders'), 'shop', 'orders', 'order_id', 'ordered_at',
        [['user_id', 'shop_customer_id'], ['email', 'email', 'email_raw'], ['phone', 'phone', 'phone_raw']]) }}
),

web_events as (
    {{ cdp.identifier_observations(ref('stg_web__events'), 'web', 'events', 'event_id', 'occurred_at',
        [['anonymous_id', 'anonymous_id'], ['anonymous_id', 'previous_id'], ['user_id', 'user_id'],
         ['device_id', 'device_id'], ['email', 'email', 'email_raw'], ['phone', 'phone', 'phone_raw']]) }}
),

pos_receipts as (
    {{ cdp.identifier_observations(ref('stg_pos__receipts'), 'pos', 'receipts', 'receipt_id', 'purchased_at',
        [['loyalty_card', 'loyalty_card_number', 'loyalty_card_number_raw'], ['email', 'email', 'email_raw']]) }}
),

crm_contacts as (
    {{ cdp.identifier_observations(ref('stg_crm__contacts'), 'crm', 'contacts', 'crm_contact_id',
        'coalesce(updated_at, created_at)',
        [['crm_contact_id', 'crm_contact_id'], ['email', 'email', 'email_raw'],
         ['email', 'secondary_email', 'secondary_email_raw'], ['phone', 'phone', 'phone_raw'],
         ['phone', 'mobile_phone', 'mobile_phone_raw']]) }}
),

esp_subscribers as (
    {{ cdp.identifier_observations(ref('stg_esp__subscribers'), 'esp', 'subscribers', 'esp_subscriber_id',
        'coalesce(updated_at, opted_in_at)',
        [['esp_subscriber_id', 'esp_subscriber_id'], ['email', 'email', 'email_raw']]) }}
),

esp_events as (
    {{ cdp.identifier_observations(ref('stg_esp__events'), 'esp', 'events', 'email_event_id', 'occurred_at',
        [['esp_subscriber_id', 'esp_subscriber_id'], ['email', 'email', 'email_raw']]) }}
),

support_tickets as (
    {{ cdp.identifier_observations(ref('stg_support__tickets'), 'support', 'tickets', 'ticket_id', 'created_at',
        [['email', 'email', 'email_raw'], ['phone', 'phone', 'phone_raw']]) }}
),

loyalty_members as (
    {{ cdp.identifier_observations(ref('stg_loyalty__members'), 'loyalty', 'members', 'loyalty_member_id',
        'coalesce(updated_at, joined_at)',
        [['loyalty_card', 'loyalty_card_number'], ['email', 'email', 'email_raw'], ['phone', 'phone', 'phone_raw']]) }}
),

-- a lead-form fill gives the email and phone its person typed: a lead who later buys joins the customer
social_leads as (
    {{ cdp.identifier_observations(ref('stg_social__leads'), 'social', 'leads', 'lead_id', 'created_at',
        [['email', 'email', 'email_raw'], ['phone', 'phone', 'phone_raw']]) }}
),

unioned as (
    select * from shop_customers
    union all
    select * from shop_orders
    union all
    select * from web_events
    union all
    select * from pos_receipts
    union all
    select * from crm_contacts
    union all
    select * from esp_subscribers
    union all
    select * from esp_events
    union all
    select * from support_tickets
    union all
    select * from loyalty_members
    union all
    select * from social_leads
),

final as (

    select
        source,
        source_table,
        source_record_id,
        source || '/' || source_table || '/' || source_record_id as source_record_key,
        identifier_type,
        identifier_value,
        -- a value that could not be normalised keeps its raw form in the key, marked as such
        identifier_type || ':' || coalesce(identifier_value, 'unparsed:' || raw_value) as identifier_key,
        -- one record may give the same value twice (phone and mobile phone): keep one row
        min(raw_value) as raw_value,
        min(observed_at) as observed_at
    from unioned
    group by
        source,
        source_table,
        source_record_id,
        identifier_type,
        identifier_value,
        identifier_type || ':' || coalesce(identifier_value, 'unparsed:' || raw_value)

)

select * from final
