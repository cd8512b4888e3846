{#- Micro-batches (`cdp serve load`, docs/realtime.md): the loader sets var `micro_batch_files` (the web
    landing files loaded since its last successful dbt run) and the per-customer models downstream of
    identity then rewrite only the customers model `int_customers_touched` lists. Without the var (every
    `dbt build`, `cdp run`, Spark, the loader's hourly full build) they are tables rebuilt whole.

    The var is read when the project is parsed (a model's materialisation is parse-time config), so the
    loader parses the project once with it set and once without. -#}

{#- Returns whether this run is a micro-batch (var `micro_batch_files` set, even to an empty list). -#}
{% macro is_micro_batch() -%}
    {{ return(var('micro_batch_files', none) is not none) }}
{%- endmacro %}

{#- Returns the materialisation of a per-customer model: incremental in a micro-batch, else table. -#}
{% macro micro_batch_materialized() -%}
    {{ return('incremental' if cdp.is_micro_batch() else 'table') }}
{%- endmacro %}

{#- Returns whether this model run rewrites touched customers only: a micro-batch, and the table exists
    (the var checked first: unit tests have no relation to ask is_incremental() about). -#}
{% macro is_micro_batch_incremental() -%}
    {{ return(cdp.is_micro_batch() and is_incremental()) }}
{%- endmacro %}

{#- Returns a condition keeping only the rows of touched customers in an incremental run, else `true`
    (a whole build keeps every row). The model needs `-- depends_on: {{ ref('int_customers_touched') }}`
    at its top: this ref is not rendered when dbt parses (is_incremental() is false then). -#}
{% macro touched_customers_only(column='customer_id') -%}
    {%- if cdp.is_micro_batch_incremental() -%}
        {{ column }} in (select touched.customer_id from {{ ref('int_customers_touched') }} as touched)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Returns the pre-hook statement of a per-customer model: in an incremental run, delete every row of a
    touched customer, so ids merged away (or customers who no longer qualify) do not linger; the model's
    own insert then puts back the touched customers it still has. Nothing in a whole build. -#}
{% macro delete_touched_customers() -%}
    {%- if cdp.is_micro_batch_incremental() -%}
        delete from {{ this }}
        where customer_id in (select touched.customer_id from {{ ref('int_customers_touched') }} as touched)
    {%- endif -%}
{%- endmacro %}
