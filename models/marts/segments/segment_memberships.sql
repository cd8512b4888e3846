{#- One row per segment and current member: the open stays of segment_membership_history. -#}

with

history as (

    select * from {{ ref('segment_membership_history') }}

),

final as (

    select
        segment,
        customer_id,
        entered_at,
        is_holdout
    from history
    where exited_at is null

)

select * from final
