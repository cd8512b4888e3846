{#- The decision in force for each pair of records a reviewer judged (`cdp review`): the latest of its
    decisions. Cannot-link decisions become rule identifiers (int_identifier_observations); must-link and
    cannot-link both decide the pair's link (int_identity_match_links). -#}

with

decisions as (

    select * from {{ ref('stg_matching__review_decisions') }}

),

ranked as (

    select
        record_key_l,
        record_key_r,
        review_decision,
        decided_at,
        row_number() over (
            partition by record_key_l, record_key_r order by decided_at desc
        ) as decision_rank
    from decisions

),

final as (

    select
        record_key_l,
        record_key_r,
        review_decision,
        decided_at
    from ranked
    where decision_rank = 1

)

select * from final
