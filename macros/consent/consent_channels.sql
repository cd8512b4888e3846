{#- Returns the list of consent channels a customer decides on one by one. A signal for channel `all`
    (a cookie banner) applies to each of them; `customer_consents` has a row per channel in this list. -#}
{% macro consent_channels() -%}
    {{ return(['email', 'sms', 'web_push']) }}
{%- endmacro %}
