{#- Returns `expr` trimmed, with null-like placeholders ('', 'null', 'n/a', '-') turned into null. -#}
{% macro clean_text(expr) -%}
    case
        when lower(trim({{ expr }})) not in ('', 'null', 'none', 'n/a', 'na', '-') then trim({{ expr }})
    end
{%- endmacro %}
