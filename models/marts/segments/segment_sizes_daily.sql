{#- One row per segment and day since the segment's first member: members at the end of the day (UTC),
    holdout included and apart. -#}

with

history as (

    select * from {{ ref('segment_membership_history') }}

),

days as (

    {{ dbt.date_spine(
        'day',
        "cast('2020-01-01' as date)",
        dbt.dateadd('day', 1, 'cast(' ~ cdp.segment_as_of() ~ ' as date)'),
    ) }}

),

segments as (

    select
        segment,
        min(cast(entered_at as date)) as first_entered_date
    from history
    group by segment

),

segment_days as (

    select
        segments.segment,
        cast(days.date_day as date) as size_date
    from segments
    inner join days
        on cast(days.date_day as date) >= segments.first_entered_date

),

final as (

    select
        segment_days.segment,
        segment_days.size_date,
        count(history.customer_id) as count_members,
        count(case when history.is_holdout then history.customer_id end) as count_holdout
    from segment_days
    left join history
        on segment_days.segment = history.segment
        and cast(history.entered_at as date) <= segment_days.size_date
        and (history.exited_at is null or cast(history.exited_at as date) > segment_days.size_date)
    group by segment_days.segment, segment_days.size_date

)

select * from final
