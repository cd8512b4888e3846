{#- One row per customer and attribute: the value that survives the rule of seed survivorship_rules, with
    the source that gave it and when. Only values observed at or before as_of take part. -#}

{%- set attributes = ['first_name', 'last_name', 'country_code', 'city', 'language_code', 'loyalty_tier',
    'loyalty_points', 'email_consent'] %}

with

attributes as (

    select * from {{ ref('int_customer_attributes_unioned') }}

),

survivorship_rules as (

    select * from {{ ref('survivorship_rules') }}

),

rules as (

    select distinct
        attribute_name,
        survivorship_rule
    from survivorship_rules

),

source_priorities as (

    select
        attribute_name,
        source,
        source_priority
    from survivorship_rules
    where source is not null

),

attribute_values as (

    {%- for attribute in attributes %}
    select
        customer_id,
        '{{ attribute }}' as attribute_name,
        cast({{ attribute }} as {{ dbt.type_string() }}) as attribute_value,
        source,
        observed_at
    from attributes
    where
        {{ attribute }} is not null
        and observed_at <= {{ cdp.as_of() }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

-- how many records give each value: the `frequent` rule's measure
counted as (

    select
        attribute_values.*,
        count(*) over (
            partition by attribute_values.customer_id, attribute_values.attribute_name, attribute_values.attribute_value
        ) as value_records
    from attribute_values

),

ranked as (

    select
        counted.customer_id,
        counted.attribute_name,
        counted.attribute_value,
        counted.source,
        counted.observed_at,
        rules.survivorship_rule,
        row_number() over (
            partition by counted.customer_id, counted.attribute_name
            order by
                case
                    when rules.survivorship_rule = 'priority' then coalesce(source_priorities.source_priority, 999)
                end asc,
                case when rules.survivorship_rule = 'frequent' then counted.value_records end desc,
                counted.observed_at desc,
                coalesce(source_priorities.source_priority, 999) asc,
                counted.source asc,
                counted.attribute_value asc
        ) as value_rank
    from counted
    inner join rules
        on counted.attribute_name = rules.attribute_name
    left join source_priorities
        on counted.attribute_name = source_priorities.attribute_name
        and counted.source = source_priorities.source

),

final as (

    select
        customer_id,
        attribute_name,
        attribute_value,
        source as attribute_source,
        observed_at,
        survivorship_rule
    from ranked
    where value_rank = 1

)

select * from final
