{#- Pairs of records waiting for a person's decision: scored between the review and accept thresholds,
    not yet decided (int_identity_match_links, link_status review), strongest evidence first. -#}

with

match_links as (

    select * from {{ ref('int_identity_match_links') }}

),

final as (

    select
        record_key_l,
        record_key_r,
        match_probability,
        match_weight,
        match_contributions,
        observed_at as scored_at
    from match_links
    where
        link_status = 'review'
        and review_decision is null

)

select * from final
