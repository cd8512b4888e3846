{#- Generic test (graph health): returns the components of `model` (int_identity_graph) holding more
    nodes of a type than the type's max_per_customer. Any row fails the build. -#}
{% test identity_customer_within_limits(model) %}

select
    component_id,
    node_type,
    max(max_per_customer) as max_per_customer,
    count(*) as count_nodes
from {{ model }}
where node_type <> 'record'
group by component_id, node_type
having count(*) > max(max_per_customer)

{% endtest %}
