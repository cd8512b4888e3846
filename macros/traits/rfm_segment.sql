{#- Returns a readable RFM segment label from recency and frequency scores (1 = worst, 5 = best
    quintile), the usual two-axis grid: recent and frequent buyers are champions, frequent buyers who
    stopped are at risk, and so on. Customers who never bought get 'no purchases'. -#}
{% macro rfm_segment(recency_score, frequency_score) -%}
    {{ return(adapter.dispatch('rfm_segment', 'cdp')(recency_score, frequency_score)) }}
{%- endmacro %}

{#- A plain `case`; both engines. -#}
{% macro default__rfm_segment(recency_score, frequency_score) -%}
    case
        when {{ recency_score }} is null or {{ frequency_score }} is null then 'no purchases'
        when {{ recency_score }} >= 4 and {{ frequency_score }} >= 4 then 'champions'
        when {{ recency_score }} >= 3 and {{ frequency_score }} >= 3 then 'loyal'
        when {{ recency_score }} >= 4 and {{ frequency_score }} <= 1 then 'new customers'
        when {{ recency_score }} >= 3 then 'potential loyalists'
        when {{ recency_score }} <= 2 and {{ frequency_score }} >= 4 then 'cannot lose them'
        when {{ recency_score }} <= 2 and {{ frequency_score }} >= 2 then 'at risk'
        else 'hibernating'
    end
{%- endmacro %}
