{#- Generic test (graph health, meant as a warning): returns one row when more than `max_share` of the
    current nodes of `model` (int_customer_id_registry) changed customer id in the latest run. -#}
{% test identity_changed_share_at_most(model, max_share) %}

with

latest as (

    select max(changed_at) as changed_at from {{ model }}

),

shares as (

    select
        sum(case when registry.changed_at = latest.changed_at then 1 else 0 end) * 1.0 / count(*) as changed_share
    from {{ model }} as registry
    cross join latest
    where registry.is_current

)

select * from shares
where changed_share > {{ max_share }}

{% endtest %}
