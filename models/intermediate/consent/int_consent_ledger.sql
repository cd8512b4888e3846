{{ config(
    materialized='incremental',
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='signal_id',
    full_refresh=false,
) }}

{#- One row per consent signal any source ever gave, append-only: a build adds the signals it has not seen
    and never rewrites one. Shop customers, ESP subscribers and CRM contacts keep only their current state,
    so the ledger is the only place their earlier signals survive (hence `full_refresh=false`).

    The ledger is keyed on the source record, not on the customer: customer ids follow identity
    resolution (merges, splits), so `customer_consents` attaches them from the current resolution on every
    build and a signal is never stranded on a retired id.

    Signals: shop `accepts_marketing` (at `accepts_marketing_updated_at`), ESP subscriber status (at its
    unsubscribe, update or opt-in time), CRM email opt-out (opt-outs only, at the contact's update time),
    web/app `Consent Updated` events (purpose, channel or `all`, granted). -#}

{%- set purposes = ['marketing', 'analytics', 'personalisation'] %}
{%- set channels = cdp.consent_channels() + ['all'] %}

with

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

esp_subscribers as (

    select * from {{ ref('stg_esp__subscribers') }}

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

signals as (

    select
        'shop' as source,
        'customers' as source_table,
        cast(shop_customer_id as {{ dbt.type_string() }}) as source_record_id,
        'marketing' as purpose,
        'email' as channel,
        is_accepting_marketing as is_granted,
        coalesce(accepts_marketing_updated_at, updated_at, created_at) as signalled_at
    from shop_customers
    where is_accepting_marketing is not null

    union all

    select
        'esp' as source,
        'subscribers' as source_table,
        cast(esp_subscriber_id as {{ dbt.type_string() }}) as source_record_id,
        'marketing' as purpose,
        'email' as channel,
        is_subscribed as is_granted,
        coalesce(unsubscribed_at, updated_at, opted_in_at) as signalled_at
    from esp_subscribers
    where is_subscribed is not null

    union all

    -- the CRM only records opt-outs; a contact without one says nothing about consent
    select
        'crm' as source,
        'contacts' as source_table,
        cast(crm_contact_id as {{ dbt.type_string() }}) as source_record_id,
        'marketing' as purpose,
        'email' as channel,
        false as is_granted,
        coalesce(updated_at, created_at) as signalled_at
    from crm_contacts
    where is_email_opted_out

    union all

    -- a missing channel means the signal was about the purpose as a whole
    select
        'web' as source,
        'events' as source_table,
        cast(event_id as {{ dbt.type_string() }}) as source_record_id,
        consent_purpose as purpose,
        coalesce(consent_channel, 'all') as channel,
        is_consent_granted as is_granted,
        occurred_at as signalled_at
    from web_events
    where
        event_name = 'Consent Updated'
        and consent_purpose in (
            {%- for purpose in purposes %}'{{ purpose }}'{% if not loop.last %},
            {% endif %}{% endfor -%}
        )
        and coalesce(consent_channel, 'all') in (
            {%- for channel in channels %}'{{ channel }}'{% if not loop.last %},
            {% endif %}{% endfor -%}
        )
        and is_consent_granted is not null

),

keyed as (

    select
        {{ cdp.hash_key([
            'source', 'source_table', 'source_record_id', 'purpose', 'channel', 'is_granted', 'signalled_at'
        ]) }} as signal_id,
        source,
        source_table,
        source_record_id,
        purpose,
        channel,
        is_granted,
        signalled_at
    from signals

),

{% if is_incremental() %}

recorded as (

    select signal_id from {{ this }}

),

{% endif %}

final as (

    select distinct
        keyed.signal_id,
        keyed.source,
        keyed.source_table,
        keyed.source_record_id,
        keyed.purpose,
        keyed.channel,
        keyed.is_granted,
        keyed.signalled_at
    from keyed
    {% if is_incremental() %}
        left join recorded
            on keyed.signal_id = recorded.signal_id
        where recorded.signal_id is null
    {% endif %}

)

select * from final
