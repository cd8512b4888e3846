{#- Generic test (graph health): returns the components of `model` with more than `max_size` nodes; a
    giant component means a junk value or a missing guard is gluing strangers together. -#}
{% test identity_component_size_at_most(model, max_size) %}

select
    component_id,
    count(*) as count_nodes
from {{ model }}
group by component_id
having count(*) > {{ max_size }}

{% endtest %}
