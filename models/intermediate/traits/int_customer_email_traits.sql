{#- One row per customer with a newsletter subscription or email events at or before as_of: the share of
    campaigns sent in the 90 days up to as_of that they opened and clicked, and whether they have
    unsubscribed. -#}
{{ config(
    materialized=cdp.micro_batch_materialized(),
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key='customer_id',
    pre_hook="{{ cdp.delete_touched_customers() }}",
) }}
-- depends_on: {{ ref('int_customers_touched') }}

with

email_events as (

    select * from {{ ref('stg_esp__events') }}

),

subscribers as (

    select * from {{ ref('stg_esp__subscribers') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}
    where {{ cdp.touched_customers_only() }}

),

known_events as (

    select
        records.customer_id,
        email_events.email_event_type,
        email_events.campaign_id,
        email_events.occurred_at
    from email_events
    inner join records
        on records.source = 'esp'
        and records.source_table = 'events'
        and email_events.email_event_id = records.source_record_id
    where email_events.occurred_at <= {{ cdp.as_of() }}

),

known_unsubscriptions as (

    select
        records.customer_id,
        subscribers.unsubscribed_at as occurred_at
    from subscribers
    inner join records
        on records.source = 'esp'
        and records.source_table = 'subscribers'
        and subscribers.esp_subscriber_id = records.source_record_id
    where subscribers.unsubscribed_at <= {{ cdp.as_of() }}

    union all

    select
        customer_id,
        occurred_at
    from known_events
    where email_event_type = 'unsubscribe'

),

-- campaigns sent in the window, and whether each was opened or clicked (at any time up to as_of): a
-- rate counts only campaigns of the window, so it stays within 0..1 whatever arrives late or twice
sent_90d as (

    select distinct
        customer_id,
        campaign_id
    from known_events
    where
        email_event_type = 'send'
        and {{ cdp.within_days('occurred_at', 90) }}

),

engaged as (

    select distinct
        customer_id,
        campaign_id,
        email_event_type
    from known_events
    where email_event_type in ('open', 'click')

),

campaigns_90d as (

    select
        sent_90d.customer_id,
        count(distinct sent_90d.campaign_id) as count_emails_sent_90d,
        count(distinct case when engaged.email_event_type = 'open' then sent_90d.campaign_id end)
            as count_emails_opened_90d,
        count(distinct case when engaged.email_event_type = 'click' then sent_90d.campaign_id end)
            as count_emails_clicked_90d
    from sent_90d
    left join engaged
        on sent_90d.customer_id = engaged.customer_id
        and sent_90d.campaign_id = engaged.campaign_id
    group by sent_90d.customer_id

),

-- a join, not `in (subquery)` in the select list, which Spark does not allow
unsubscribed as (

    select distinct customer_id from known_unsubscriptions

),

customers as (

    select customer_id from known_events
    union
    select customer_id from known_unsubscriptions

),

final as (

    select
        customers.customer_id,
        coalesce(campaigns_90d.count_emails_sent_90d, 0) as count_emails_sent_90d,
        round({{ cdp.safe_ratio('campaigns_90d.count_emails_opened_90d', 'campaigns_90d.count_emails_sent_90d') }}, 4)
            as email_open_rate_90d,
        round({{ cdp.safe_ratio('campaigns_90d.count_emails_clicked_90d', 'campaigns_90d.count_emails_sent_90d') }}, 4)
            as email_click_rate_90d,
        unsubscribed.customer_id is not null as is_unsubscribed
    from customers
    left join campaigns_90d
        on customers.customer_id = campaigns_90d.customer_id
    left join unsubscribed
        on customers.customer_id = unsubscribed.customer_id

)

select * from final
