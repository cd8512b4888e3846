{#- Every identifier every source record carries, in one long table. To add a source, add its staging
    model here with its record id, timestamp and identifier columns.
    A reviewer's cannot-link decision (`cdp review`, latest decision per pair) adds a rule identifier to
    each of its two records: type `cannot_link:<record> <record>` (one type per decision, priority 0 and
    limit 1 in seed identifier_types), value the record's own key. It becomes the record's anchor, so the
    graph's limits refuse whichever weakest edges would put both records in one customer (a split, with
    the usual id history); marts never show it as an identifier. -#}

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

cannot_links as (
    select * from {{ ref('int_match_review_decisions') }}
    where review_decision = 'cannot_link'
),

sides as (
    select 'l' as side
    union all
    select 'r' as side
),

-- each decision's two records, one row per side
decision_sides as (
    select
        'cannot_link:' || cannot_links.record_key_l || ' ' || cannot_links.record_key_r as identifier_type,
        case sides.side when 'l' then cannot_links.record_key_l else cannot_links.record_key_r end as source_record_key,
        cannot_links.decided_at
    from cannot_links
    cross join sides
),

decided_records as (
    select distinct
        unioned.source,
        unioned.source_table,
        unioned.source_record_id,
        decision_sides.identifier_type,
        decision_sides.source_record_key,
        decision_sides.decided_at
    from decision_sides
    inner join unioned
        on
        decision_sides.source_record_key
        = unioned.source || '/' || unioned.source_table || '/' || unioned.source_record_id
),

rule_observations as (
    select
        decided_records.source,
        decided_records.source_table,
        decided_records.source_record_id,
        decided_records.identifier_type,
        decided_records.source_record_key as identifier_value,
        decided_records.source_record_key as raw_value,
        decided_records.decided_at as observed_at
    from decided_records
),

observed as (
    select * from unioned
    union all
    select * from rule_observations
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
    from observed
    group by
        source,
        source_table,
        source_record_id,
        identifier_type,
        identifier_value,
        identifier_type || ':' || coalesce(identifier_value, 'unparsed:' || raw_value)

)

select * from final
