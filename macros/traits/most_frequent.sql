{#- Returns a select of `partition_by`, `value` as `alias`: per partition, the value seen on most rows of
    `relation` (rows where it is null are ignored), ties going to the most recent `recency` then the
    smallest value, so the answer is deterministic. Segment's "most frequent" computed trait. -#}
{% macro most_frequent(relation, partition_by, value, recency, alias, weight='1') -%}
    {{ return(adapter.dispatch('most_frequent', 'cdp')(relation, partition_by, value, recency, alias, weight)) }}
{%- endmacro %}

{#- Window functions over a grouped query; both engines. -#}
{% macro default__most_frequent(relation, partition_by, value, recency, alias, weight) -%}
    select
        {{ partition_by }},
        {{ alias }}
    from (
        select
            {{ partition_by }},
            {{ value }} as {{ alias }},
            row_number() over (
                partition by {{ partition_by }}
                order by sum({{ weight }}) desc, max({{ recency }}) desc, {{ value }} asc
            ) as value_rank
        from {{ relation }}
        where {{ value }} is not null
        group by {{ partition_by }}, {{ value }}
    ) as ranked_values
    where value_rank = 1
{%- endmacro %}
