{#- One row per customer, purpose and channel the customer has ever signalled about: whether they consent
    now. The latest signal in the ledger wins; on a tie a refusal beats a grant. A signal for channel `all`
    (the cookie banner) counts as a signal for every channel of `cdp.consent_channels()`, so a later
    banner refusal withdraws email, SMS and push alike, and a later channel-specific grant overrides an
    earlier banner refusal for that channel only. Customer ids come from the current identity
    resolution, not from the ledger, so consent follows merges and splits. No row: no consent. -#}

with

ledger as (

    select * from {{ ref('int_consent_ledger') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

channels as (

    {% for channel in cdp.consent_channels() %}
    select '{{ channel }}' as channel
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

signals_per_channel as (

    select
        records.customer_id,
        ledger.purpose,
        channels.channel,
        ledger.is_granted,
        ledger.signalled_at,
        ledger.source,
        ledger.source_table,
        ledger.source_record_id,
        ledger.signal_id
    from ledger
    inner join records
        on ledger.source = records.source
        and ledger.source_table = records.source_table
        and ledger.source_record_id = records.source_record_id
    inner join channels
        on ledger.channel = channels.channel or ledger.channel = 'all'

),

ranked as (

    select
        *,
        cast(row_number() over (
            partition by customer_id, purpose, channel
            -- latest wins; on a tie a refusal beats a grant (false sorts first), then a fixed order
            order by signalled_at desc nulls last, is_granted asc, source asc, signal_id asc
        ) as bigint) as signal_rank
    from signals_per_channel

),

final as (

    select
        customer_id,
        purpose,
        channel,
        is_granted,
        signalled_at as decided_at,
        source as decided_by_source,
        source_table as decided_by_source_table,
        source_record_id as decided_by_source_record_id,
        signal_id as decided_by_signal_id
    from ranked
    where signal_rank = 1

)

select * from final
