{{ config(
    materialized='incremental',
    incremental_strategy=cdp.incremental_upsert_strategy(),
    unique_key=['segment', 'customer_id', 'entered_at'],
    full_refresh=false,
) }}

{#- One row per stay of a customer in a segment: entered_at, and exited_at once they left (null while in).
    Each build compares the segments now with the open stays: a new member opens a stay, a member who left
    closes theirs. `full_refresh=false`: history is not derivable from today's data, a full refresh keeps it.
    To add a segment, add its model to `segment_models`. -#}

{%- set segment_models = [
    'cart_abandoners', 'category_enthusiasts', 'high_value_customers', 'lapsed_customers', 'loyalty_vips',
    'subscribers_never_bought', 'win_back', 'paid_social_single_order',
] %}

with

{% for segment_model in segment_models %}
{#- the holdout share is in the segment's meta; unit tests have no graph, so no holdout there -#}
{%- set segment_node = graph.get('nodes', {}).get('model.cdp.' ~ segment_model) if execute else none -%}
{%- set holdout_percent = segment_node.config.meta.get('holdout_percent', 0) if segment_node else 0 %}
{{ segment_model }} as (

    select
        '{{ segment_model }}' as segment,
        customer_id,
        {{ cdp.segment_holdout_flag('customer_id', segment_model, holdout_percent) }} as is_holdout
    from {{ ref(segment_model) }}

),
{% endfor %}

current_members as (

    {{ cdp.union_ctes(segment_models) }}

),

{% if is_incremental() %}

open_stays as (

    select * from {{ this }}
    where exited_at is null

),

entered as (

    select
        current_members.segment,
        current_members.customer_id,
        current_members.is_holdout,
        {{ cdp.segment_as_of() }} as entered_at,
        cast(null as timestamp) as exited_at
    from current_members
    left join open_stays
        on current_members.segment = open_stays.segment
        and current_members.customer_id = open_stays.customer_id
    where open_stays.customer_id is null

),

exited as (

    select
        open_stays.segment,
        open_stays.customer_id,
        open_stays.is_holdout,
        open_stays.entered_at,
        {{ cdp.segment_as_of() }} as exited_at
    from open_stays
    left join current_members
        on open_stays.segment = current_members.segment
        and open_stays.customer_id = current_members.customer_id
    where current_members.customer_id is null

),

final as (

    select * from entered
    union all
    select * from exited

)

{% else %}

final as (

    select
        segment,
        customer_id,
        is_holdout,
        {{ cdp.segment_as_of() }} as entered_at,
        cast(null as timestamp) as exited_at
    from current_members

)

{% endif %}

select * from final
