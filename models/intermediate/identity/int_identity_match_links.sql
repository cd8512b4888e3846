{#- One row per pair of records the probabilistic matcher scored at or above the review threshold, or that
    a reviewer decided on (`cdp review`), with what the identity graph makes of it: `accepted` (it becomes
    a probabilistic edge, the lowest tier of int_identity_edges, still subject to every limit), `review`
    (between the review and accept thresholds: identity_review_queue) or `rejected` with the reason.
    Guards, in order: a cannot-link decision; two records anchored by different strong ids of one type
    (two CRM contacts, two emails, two accounts: records their own systems keep apart) need
    var('identity_match_strict'); two records whose first names cannot be one person's (not equal, not a
    typo under var identity_name_veto_edits edits, not a prefix, not swapped with the surname, not a pair of
    seed first_name_nicknames) are a household, not a person: members share street, postcode and landline,
    which Fellegi-Sunter counts as independent evidence; a record may absorb several
    links only where its partners also match each other (no chaining through one weak member), else it
    keeps its best link. A must-link decision is accepted whatever the score. -#}

with

candidates as (

    select * from {{ ref('stg_matching__match_candidates') }}

),

decided as (

    select * from {{ ref('int_match_review_decisions') }}

),

observations as (

    select * from {{ ref('int_identifier_observations') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

identifier_types as (

    select * from {{ ref('identifier_types') }}

),

features as (

    select * from {{ ref('int_match_features') }}

),

nicknames as (

    select
        lower(first_name) as first_name,
        lower(nickname) as nickname
    from {{ ref('first_name_nicknames') }}

),

pairs as (

    select
        coalesce(candidates.record_key_l, decided.record_key_l) as record_key_l,
        coalesce(candidates.record_key_r, decided.record_key_r) as record_key_r,
        candidates.match_probability,
        candidates.match_weight,
        candidates.match_contributions,
        coalesce(candidates.scored_at, decided.decided_at) as observed_at,
        decided.review_decision
    from candidates
    full outer join decided
        on candidates.record_key_l = decided.record_key_l
        and candidates.record_key_r = decided.record_key_r
    where
        candidates.match_probability >= {{ var('identity_match_review', 0.8) }}
        or decided.review_decision is not null

),

-- can the two first names be one person's? (a name never links records, but it may keep them apart)
pair_first_names as (

    select
        pairs.record_key_l,
        pairs.record_key_r,
        left_features.first_name is null
        or right_features.first_name is null
        -- a typo: one edit; under var edits between long names, or short ones of one length and initial
        -- (jacbo and jacob are one person, anna, hanne and sanne three)
        or levenshtein(left_features.first_name, right_features.first_name) <= 1
        or (
            levenshtein(left_features.first_name, right_features.first_name)
            < {{ var('identity_name_veto_edits', 3) }}
            and (
                least(length(left_features.first_name), length(right_features.first_name)) > 5
                or (
                    length(left_features.first_name) = length(right_features.first_name)
                    and substr(left_features.first_name, 1, 1) = substr(right_features.first_name, 1, 1)
                )
            )
        )
        or substr(left_features.first_name, 1, length(right_features.first_name)) = right_features.first_name
        or substr(right_features.first_name, 1, length(left_features.first_name)) = left_features.first_name
        or left_features.first_name = right_features.last_name
        or right_features.first_name = left_features.last_name
        or nicknames_left.first_name is not null
        or nicknames_right.first_name is not null as is_first_name_compatible
    from pairs
    left join features as left_features
        on pairs.record_key_l = left_features.source_record_key
    left join features as right_features
        on pairs.record_key_r = right_features.source_record_key
    left join nicknames as nicknames_left
        on
        left_features.first_name = nicknames_left.first_name
        and right_features.first_name = nicknames_left.nickname
    left join nicknames as nicknames_right
        on
        right_features.first_name = nicknames_right.first_name
        and left_features.first_name = nicknames_right.nickname

),

record_anchor_candidates as (

    select
        observations.source_record_key,
        nodes.node_id,
        nodes.node_type,
        row_number() over (
            partition by observations.source_record_key order by nodes.priority, nodes.node_key
        ) as anchor_rank
    from observations
    inner join nodes
        on observations.identifier_key = nodes.node_key
    -- a cannot-link decision's rule identifier is no anchor of a person
    where nodes.node_type not like 'cannot_link:%'

    union all

    select
        substr(nodes.node_key, 8) as source_record_key,
        nodes.node_id,
        nodes.node_type,
        1 as anchor_rank
    from nodes
    where nodes.node_type = 'record'

),

record_anchors as (

    select
        record_anchor_candidates.source_record_key,
        record_anchor_candidates.node_id,
        record_anchor_candidates.node_type as anchor_type,
        coalesce(identifier_types.strength = 'strong', false) as is_strongly_anchored
    from record_anchor_candidates
    left join identifier_types
        on record_anchor_candidates.node_type = identifier_types.identifier_type
    where record_anchor_candidates.anchor_rank = 1

),

anchored as (

    select
        pairs.*,
        left_anchors.node_id as from_node_id,
        right_anchors.node_id as to_node_id,
        case
            when pairs.review_decision = 'cannot_link' then 'cannot-link (review decision)'
            when pairs.review_decision = 'must_link' then null
            when left_anchors.node_id is null or right_anchors.node_id is null then 'record not in the identity graph'
            when pairs.match_probability < {{ var('identity_match_accept', 0.99) }} then null
            when not pair_first_names.is_first_name_compatible
                then 'first names cannot be one person (a household sharing address or phone?)'
            when
                left_anchors.is_strongly_anchored and right_anchors.is_strongly_anchored
                and left_anchors.anchor_type = right_anchors.anchor_type
                and pairs.match_probability < {{ var('identity_match_strict', 0.995) }}
                then
                    'joins two records with different strong ids of one type below the strict threshold ('
                    || cast({{ var('identity_match_strict', 0.995) }} as {{ dbt.type_string() }}) || ')'
        end as guard_reason,
        coalesce(
            pairs.review_decision = 'must_link'
            or (pairs.review_decision is null and pairs.match_probability >= {{ var('identity_match_accept', 0.99) }}),
            false
        ) as is_above_accept
    from pairs
    left join record_anchors as left_anchors
        on pairs.record_key_l = left_anchors.source_record_key
    left join record_anchors as right_anchors
        on pairs.record_key_r = right_anchors.source_record_key
    left join pair_first_names
        on
        pairs.record_key_l = pair_first_names.record_key_l
        and pairs.record_key_r = pair_first_names.record_key_r

),

passing as (

    select * from anchored
    where is_above_accept and guard_reason is null

),

link_sides as (

    select
        record_key_l as record_key,
        record_key_r as partner_key,
        record_key_l,
        record_key_r,
        match_probability,
        review_decision
    from passing
    union all
    select
        record_key_r as record_key,
        record_key_l as partner_key,
        record_key_l,
        record_key_r,
        match_probability,
        review_decision
    from passing

),

partner_pairs as (

    select
        first_side.record_key,
        first_side.partner_key as partner_a,
        second_side.partner_key as partner_b
    from link_sides as first_side
    inner join link_sides as second_side
        on
        first_side.record_key = second_side.record_key
        and first_side.partner_key < second_side.partner_key

),

-- partners that share an identifier are already one customer's records (their pair was not scored)
sharing_partners as (

    select distinct
        partner_pairs.partner_a,
        partner_pairs.partner_b
    from partner_pairs
    inner join observations as observations_a
        on partner_pairs.partner_a = observations_a.source_record_key
    inner join observations as observations_b
        on
        partner_pairs.partner_b = observations_b.source_record_key
        and observations_a.identifier_key = observations_b.identifier_key

),

-- a record with two partners that do not match each other would chain them: it keeps only its best link
inconsistent_records as (

    select distinct partner_pairs.record_key
    from partner_pairs
    left join passing
        on
        partner_pairs.partner_a = passing.record_key_l
        and partner_pairs.partner_b = passing.record_key_r
    left join sharing_partners
        on
        partner_pairs.partner_a = sharing_partners.partner_a
        and partner_pairs.partner_b = sharing_partners.partner_b
    where
        passing.record_key_l is null
        and sharing_partners.partner_a is null

),

ranked_sides as (

    select
        link_sides.*,
        row_number() over (
            partition by link_sides.record_key
            order by
                case when link_sides.review_decision = 'must_link' then 0 else 1 end,
                link_sides.match_probability desc,
                link_sides.partner_key asc
        ) as link_rank
    from link_sides
    inner join inconsistent_records
        on link_sides.record_key = inconsistent_records.record_key

),

chained as (

    select distinct
        record_key_l,
        record_key_r
    from ranked_sides
    where link_rank > 1

),

final as (

    select
        anchored.record_key_l,
        anchored.record_key_r,
        anchored.from_node_id,
        anchored.to_node_id,
        anchored.match_probability,
        anchored.match_weight,
        anchored.match_contributions,
        anchored.review_decision,
        anchored.observed_at,
        case
            when anchored.guard_reason is not null or chained.record_key_l is not null then 'rejected'
            when anchored.is_above_accept then 'accepted'
            else 'review'
        end as link_status,
        coalesce(
            anchored.guard_reason,
            case
                when chained.record_key_l is not null
                    then 'chaining: the record also matches records that do not match each other'
            end
        ) as rejection_reason
    from anchored
    left join chained
        on anchored.record_key_l = chained.record_key_l
        and anchored.record_key_r = chained.record_key_r

)

select * from final
