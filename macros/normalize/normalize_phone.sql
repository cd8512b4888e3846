{#- Returns the phone number in E.164 (`+31612345678`), or null when it cannot be one: an E.164
    number has a country code that does not start with 0 and 8 to 15 digits in all. -#}
{% macro normalize_phone(expr, country_expr) -%}
    {%- set candidate = cdp.phone_e164_candidate(expr, country_expr) -%}
    case
        when {{ cdp.regexp_like(candidate, "'^[+][1-9][0-9]{7,14}$'") }}
            then {{ candidate }}
    end
{%- endmacro %}

{#- Returns the phone number rewritten to E.164 form, not yet validated (see normalize_phone).
    International forms (`+31 6 ...`, `0031 6 ...`) keep their country code; national forms
    (`06-12345678`, `(020) 123 4567`, `612 345 678`) take the calling code of `country_expr` from the
    var `cdp_phone_countries`, dropping the trunk prefix where the country has one. -#}
{% macro phone_e164_candidate(expr, country_expr) -%}
    {%- set countries = var('cdp_phone_countries') -%}
    {%- set digits = cdp.regexp_replace_all(expr, '[^0-9]', '') -%}
    {%- set stripped = "ltrim(" ~ expr ~ ")" -%}
    case
        when {{ expr }} is null then null
        when {{ stripped }} like '+%' then '+' || {{ digits }}
        when {{ digits }} like '00%' then '+' || substr({{ digits }}, 3)
        {%- for code, rule in countries.items() %}
            {%- if rule.trunk_prefix %}
        when upper({{ country_expr }}) = '{{ code }}' and {{ digits }} like '{{ rule.trunk_prefix }}%'
            then '+{{ rule.calling_code }}' || substr({{ digits }}, {{ rule.trunk_prefix | length + 1 }})
            {%- elif rule.calling_code == '1' %}
        when upper({{ country_expr }}) = '{{ code }}' and length({{ digits }}) = 11 and {{ digits }} like '1%'
            then '+' || {{ digits }}
        when upper({{ country_expr }}) = '{{ code }}' then '+1' || {{ digits }}
            {%- else %}
        when upper({{ country_expr }}) = '{{ code }}' then '+{{ rule.calling_code }}' || {{ digits }}
            {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}
