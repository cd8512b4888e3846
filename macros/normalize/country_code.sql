{#- Returns the ISO 3166-1 alpha-2 code of a country given as a code or an English name, upper case;
    null when it is neither. Exports disagree on this (CRM: "Netherlands", shop: "NL"). -#}
{% macro country_code(expr) -%}
    case
        when length(trim({{ expr }})) = 2 then upper(trim({{ expr }}))
        when lower(trim({{ expr }})) in ('netherlands', 'the netherlands', 'holland', 'nederland') then 'NL'
        when lower(trim({{ expr }})) in ('germany', 'deutschland') then 'DE'
        when lower(trim({{ expr }})) in ('poland', 'polska') then 'PL'
        when lower(trim({{ expr }})) in ('denmark', 'danmark') then 'DK'
        when lower(trim({{ expr }})) in ('united kingdom', 'great britain', 'uk', 'england') then 'GB'
        when lower(trim({{ expr }})) in ('united states', 'united states of america', 'usa') then 'US'
    end
{%- endmacro %}
