{#- Returns a boolean expression: whether `customer_id_column` falls in the `percent` holdout of
    `segment_name`. Deterministic (the hash of customer_id and segment, bucketed 0-99), so a control group
    stays the same between runs and differs between segments. -#}
{% macro segment_holdout_flag(customer_id_column, segment_name, percent) -%}
    {%- if percent | int <= 0 -%}
        false
    {%- else -%}
        (
            {{ cdp.hash_bucket(dbt.concat([customer_id_column, "'|" ~ segment_name ~ "'"]), 100) }}
            < {{ percent | int }}
        )
    {%- endif -%}
{%- endmacro %}
