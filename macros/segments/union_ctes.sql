{#- Returns `select * from <name>` for each CTE name, joined by `union all` (the CTEs share columns). -#}
{% macro union_ctes(names) -%}
    {%- for name in names %}
    select * from {{ name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
