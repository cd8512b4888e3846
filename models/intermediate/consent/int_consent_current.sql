{#- One row per customer, purpose and channel: whether the customer consents now. Every consent signal the
    sources give today is an email-marketing signal, so the purpose is `marketing` and the channel `email`.
    The latest signal wins: shop `accepts_marketing` (at `accepts_marketing_updated_at`), ESP subscriber
    status (at its unsubscribe, update or opt-in time), CRM opt-out (an opt-out at the contact's update
    time). A full consent ledger with evidence replaces this model in a later issue. -#}

with

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

esp_subscribers as (

    select * from {{ ref('stg_esp__subscribers') }}

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

signals as (

    select
        'shop' as source,
        'customers' as source_table,
        shop_customer_id as source_record_id,
        is_accepting_marketing as is_granted,
        coalesce(accepts_marketing_updated_at, updated_at, created_at) as signalled_at
    from shop_customers

    union all

    select
        'esp' as source,
        'subscribers' as source_table,
        esp_subscriber_id as source_record_id,
        is_subscribed as is_granted,
        coalesce(unsubscribed_at, updated_at, opted_in_at) as signalled_at
    from esp_subscribers

    union all

    -- the CRM only records opt-outs; a contact without one says nothing about consent
    select
        'crm' as source,
        'contacts' as source_table,
        crm_contact_id as source_record_id,
        false as is_granted,
        coalesce(updated_at, created_at) as signalled_at
    from crm_contacts
    where is_email_opted_out

),

ranked as (

    select
        records.customer_id,
        signals.source,
        signals.is_granted,
        signals.signalled_at,
        row_number() over (
            partition by records.customer_id
            -- latest wins; on a tie a refusal beats a grant
            order by signals.signalled_at desc nulls last, signals.is_granted asc, signals.source asc
        ) as signal_rank
    from signals
    inner join records
        on signals.source = records.source
        and signals.source_table = records.source_table
        and signals.source_record_id = records.source_record_id

),

final as (

    select
        customer_id,
        'marketing' as purpose,
        'email' as channel,
        is_granted,
        source as decided_by_source,
        signalled_at as decided_at
    from ranked
    where signal_rank = 1

)

select * from final
