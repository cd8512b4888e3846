{#- Returns the email trimmed and lower-cased, or null when it does not look like an email address.
    Junk values that look like addresses (test@test.com) are left to the identity blocklist. -#}
{% macro normalize_email(expr) -%}
    case
        when {{ cdp.regexp_like("lower(trim(" ~ expr ~ "))", "'^[a-z0-9._%+-]+@[a-z0-9.-]+[.][a-z]{2,}$'") }}
            then lower(trim({{ expr }}))
    end
{%- endmacro %}
