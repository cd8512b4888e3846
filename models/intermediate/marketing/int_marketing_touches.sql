{#- One row per marketing touch of any record: a landing tagged with UTM parameters or an ad click id
    (gclid, fbclid), an email campaign click at the ESP, a lead-form fill; with the channel it belongs to
    and the customer the record resolves to (null when it resolves to none). -#}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

email_events as (

    select * from {{ ref('stg_esp__events') }}

),

leads as (

    select * from {{ ref('stg_social__leads') }}

),

records as (

    select * from {{ ref('int_source_records_resolved') }}

),

-- the tracker tags the page event of a landing with the URL's UTM parameters; click ids stay in the URL
web_landings as (

    select
        'web' as source,
        'events' as source_table,
        event_id as source_record_id,
        'web_visit' as touch_type,
        occurred_at as touched_at,
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        lower(utm_campaign) as utm_campaign,
        nullif(regexp_extract(page_url, '[?&]gclid=([^&#]+)', 1), '') as gclid,
        nullif(regexp_extract(page_url, '[?&]fbclid=([^&#]+)', 1), '') as fbclid,
        cast(null as {{ dbt.type_string() }}) as lead_form_id,
        false as is_organic_lead
    from web_events
    where
        event_type = 'page'
        and (
            utm_source is not null
            or utm_medium is not null
            or utm_campaign is not null
            or page_url like '%gclid=%'
            or page_url like '%fbclid=%'
        )

),

email_clicks as (

    select
        'esp' as source,
        'events' as source_table,
        email_event_id as source_record_id,
        'email_click' as touch_type,
        occurred_at as touched_at,
        coalesce(lower(nullif(regexp_extract(clicked_url, '[?&]utm_source=([^&#]+)', 1), '')), 'esp')
            as utm_source,
        coalesce(lower(nullif(regexp_extract(clicked_url, '[?&]utm_medium=([^&#]+)', 1), '')), 'email')
            as utm_medium,
        -- the ESP names the campaign; a utm_campaign in the link wins
        coalesce(
            lower(nullif(regexp_extract(clicked_url, '[?&]utm_campaign=([^&#]+)', 1), '')), lower(campaign_name)
        ) as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as gclid,
        cast(null as {{ dbt.type_string() }}) as fbclid,
        cast(null as {{ dbt.type_string() }}) as lead_form_id,
        false as is_organic_lead
    from email_events
    where email_event_type = 'click'

),

lead_fills as (

    select
        'social' as source,
        'leads' as source_table,
        lead_id as source_record_id,
        'lead_form' as touch_type,
        created_at as touched_at,
        lead_platform as utm_source,
        case when is_organic then 'social' else 'paid_social' end as utm_medium,
        campaign_name as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as gclid,
        cast(null as {{ dbt.type_string() }}) as fbclid,
        lead_form_id,
        is_organic as is_organic_lead
    from leads

),

unioned as (

    select * from web_landings
    union all
    select * from email_clicks
    union all
    select * from lead_fills

),

-- a click id marks a paid click; fbclid alone is not enough (Facebook adds it to organic shares too),
-- so paid social needs a paid medium or a tagged campaign beside it
classified as (

    select
        *,
        case
            when touch_type = 'lead_form' and is_organic_lead then 'organic_social'
            when touch_type = 'lead_form' then 'paid_social'
            when gclid is not null or utm_medium in ('cpc', 'ppc', 'paid_search', 'sem') then 'paid_search'
            when
                utm_medium in ('paid_social', 'paidsocial', 'social_paid')
                or (fbclid is not null and utm_campaign is not null)
                then 'paid_social'
            when utm_medium in ('email', 'newsletter') then 'email'
            when utm_medium = 'affiliate' then 'affiliate'
            when utm_medium in ('display', 'banner', 'cpm') then 'display'
            when utm_medium in ('social', 'social_media', 'organic_social') or fbclid is not null
                then 'organic_social'
            else 'other'
        end as channel
    from unioned

),

final as (

    select
        classified.source || '/' || classified.source_table || '/' || classified.source_record_id as touch_id,
        records.customer_id,
        classified.source,
        classified.source_table,
        classified.source_record_id,
        classified.touch_type,
        classified.touched_at,
        classified.channel,
        classified.channel in ('paid_search', 'paid_social', 'display', 'affiliate') as is_paid,
        -- the ad platform whose spend the touch is measured against (campaign_performance)
        case
            when
                classified.channel = 'paid_search'
                and (classified.gclid is not null or classified.utm_source = 'google')
                then 'google_ads'
            when
                classified.channel = 'paid_social'
                and (
                    classified.touch_type = 'lead_form'
                    or classified.fbclid is not null
                    or classified.utm_source in ('facebook', 'instagram', 'fb', 'ig', 'meta')
                )
                then 'meta'
        end as ad_platform,
        classified.utm_source,
        classified.utm_medium,
        classified.utm_campaign,
        case
            when classified.gclid is not null then 'gclid'
            when classified.fbclid is not null then 'fbclid'
        end as click_id_type,
        coalesce(classified.gclid, classified.fbclid) as click_id,
        classified.lead_form_id
    from classified
    left join records
        on classified.source = records.source
        and classified.source_table = records.source_table
        and classified.source_record_id = records.source_record_id

)

select * from final
