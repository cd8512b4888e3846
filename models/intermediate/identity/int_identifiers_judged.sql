{#- One row per distinct identifier, with its type's rules (seed identifier_types) and whether it may
    link records and, if not, why: its type is no merge key, it could not be normalised (no valid email
    or phone), it is junk (seed identifier_blocklist), it is a browser or device shared by the public (a
    blocklist rule of match_type `user_agent`: an anonymous_id or device_id seen in a web event whose
    user agent matches, such as the shop's own in-store kiosks), it is a weak value (seed identifier_types
    `strength`) carried by records whose first names are clearly different (a household phone: at least
    var identity_name_veto_edits edits apart, so typos do not count; a name never merges, but may veto),
    or it is shared by more people than its type allows (var identity_degree_caps). -#}

with

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

blocklist as (

    select * from {{ ref('identifier_blocklist') }}

),

identifier_types as (

    select * from {{ ref('identifier_types') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

loyalty_members as (

    select * from {{ ref('stg_loyalty__members') }}

),

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

identifiers as (

    select distinct
        identifier_key,
        identifier_type,
        identifier_value
    from observations

),

blocklisted as (

    select
        identifiers.identifier_key,
        min(blocklist.reason) as reason
    from identifiers
    inner join blocklist
        on (blocklist.identifier_type = '*' or identifiers.identifier_type = blocklist.identifier_type)
        and (
            (blocklist.match_type = 'exact' and lower(identifiers.identifier_value) = blocklist.pattern)
            or (
                blocklist.match_type = 'regex'
                and {{ cdp.regexp_like('identifiers.identifier_value', 'blocklist.pattern') }}
            )
        )
    group by identifiers.identifier_key

),

-- a public kiosk browser: one sign-in on it would collect the sessions of every stranger
shared_device_events as (

    select
        web_events.anonymous_id,
        web_events.previous_id,
        web_events.device_id,
        blocklist.identifier_type,
        blocklist.reason
    from web_events
    inner join blocklist
        on
        blocklist.match_type = 'user_agent'
        and {{ cdp.regexp_like('web_events.user_agent', 'blocklist.pattern') }}

),

shared_device_values as (

    select
        identifier_type,
        anonymous_id as identifier_value,
        reason
    from shared_device_events
    where identifier_type = 'anonymous_id'
    union all
    select
        identifier_type,
        previous_id as identifier_value,
        reason
    from shared_device_events
    where identifier_type = 'anonymous_id'
    union all
    select
        identifier_type,
        device_id as identifier_value,
        reason
    from shared_device_events
    where identifier_type = 'device_id'

),

shared_devices as (

    select
        identifiers.identifier_key,
        min(shared_device_values.reason) as reason
    from identifiers
    inner join shared_device_values
        on
        identifiers.identifier_type = shared_device_values.identifier_type
        and identifiers.identifier_value = shared_device_values.identifier_value
    group by identifiers.identifier_key

),

-- the first names of the profile records that carry a weak identifier
record_first_names as (

    select
        'crm/contacts/' || crm_contact_id as source_record_key,
        lower(trim(first_name)) as first_name
    from crm_contacts
    union all
    select
        'loyalty/members/' || loyalty_member_id as source_record_key,
        lower(trim(first_name)) as first_name
    from loyalty_members
    union all
    select
        'shop/customers/' || shop_customer_id as source_record_key,
        lower(trim(first_name)) as first_name
    from shop_customers

),

weak_identifier_names as (

    select distinct
        observations.identifier_key,
        record_first_names.first_name
    from observations
    inner join identifier_types
        on observations.identifier_type = identifier_types.identifier_type
    inner join record_first_names
        on observations.source_record_key = record_first_names.source_record_key
    where
        identifier_types.strength = 'weak'
        and record_first_names.first_name is not null
        and record_first_names.first_name <> ''

),

-- levenshtein is the same function in DuckDB and Spark; the reason names no name (the audit holds no PII)
name_vetoed as (

    select distinct first_names.identifier_key
    from weak_identifier_names as first_names
    inner join weak_identifier_names as other_names
        on
        first_names.identifier_key = other_names.identifier_key
        and first_names.first_name < other_names.first_name
    where levenshtein(first_names.first_name, other_names.first_name) >= {{ var('identity_name_veto_edits', 3) }}

),

{%- for cap in var('identity_degree_caps') %}

degree_{{ loop.index }} as (

    select
        capped.identifier_key,
        count(distinct anchor.identifier_key) as anchor_count
    from observations as capped
    inner join observations as anchor
        on capped.source_record_key = anchor.source_record_key
        and anchor.identifier_type = '{{ cap.anchor_type }}'
    where capped.identifier_type = '{{ cap.identifier_type }}'
    group by capped.identifier_key
    having count(distinct anchor.identifier_key) > {{ cap.max }}

),
{%- endfor %}

over_degree_by_cap as (
    {%- for cap in var('identity_degree_caps') %}
    select
        identifier_key,
        'shared by ' || cast(anchor_count as {{ dbt.type_string() }})
        || ' {{ cap.anchor_type }} values (cap {{ cap.max }})' as reason
    from degree_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

over_degree as (

    -- a value over several caps: one reason is enough
    select
        identifier_key,
        min(reason) as reason
    from over_degree_by_cap
    group by identifier_key

),

final as (

    select
        identifiers.identifier_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifier_types.priority,
        identifier_types.max_per_customer,
        identifier_types.strength,
        identifiers.identifier_value is not null and blocklisted.identifier_key is null as is_valid,
        identifiers.identifier_value is not null
        and blocklisted.identifier_key is null
        and shared_devices.identifier_key is null
        and name_vetoed.identifier_key is null
        and over_degree.identifier_key is null
        and identifier_types.identifier_type is not null as is_linkable,
        coalesce(
            case when identifiers.identifier_value is null then 'not a valid ' || identifiers.identifier_type end,
            case when identifier_types.identifier_type is null then 'not a merge key type' end,
            'blocklisted: ' || blocklisted.reason,
            'shared device: ' || shared_devices.reason,
            over_degree.reason,
            case
                when name_vetoed.identifier_key is not null
                    then 'carried by records of clearly different first names (a household)'
            end
        ) as unlinkable_reason
    from identifiers
    left join blocklisted
        on identifiers.identifier_key = blocklisted.identifier_key
    left join shared_devices
        on identifiers.identifier_key = shared_devices.identifier_key
    left join name_vetoed
        on identifiers.identifier_key = name_vetoed.identifier_key
    left join over_degree
        on identifiers.identifier_key = over_degree.identifier_key
    -- every cannot-link decision's type (`cannot_link:<record> <record>`) takes the rules of `cannot_link`
    left join identifier_types
        on
        case
            when identifiers.identifier_type like 'cannot_link:%' then 'cannot_link'
            else identifiers.identifier_type
        end = identifier_types.identifier_type

)

select * from final
