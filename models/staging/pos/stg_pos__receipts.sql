with

source as (

    select * from {{ source('pos', 'receipts') }}

),

renamed as (

    select
        -- ids
        receipt_id,
        store_id,
        register_id,

        -- identifiers, normalised: card numbers are printed in groups of four
        upper({{ cdp.regexp_replace_all(cdp.clean_text('loyalty_card_number'), '[^0-9A-Za-z]', '') }})
            as loyalty_card_number,
        loyalty_card_number as loyalty_card_number_raw,
        {{ cdp.normalize_email('ereceipt_email') }} as email,
        ereceipt_email as email_raw,

        -- receipt
        receipt_type,
        payment_method,

        -- money: the POS stores minor units (cents, groszy, øre, pence)
        upper(currency) as currency,
        cast(total_amount_minor / 100 as decimal(18, 2)) as total_amount,

        -- booleans
        receipt_type = 'return' as is_return,

        -- timestamps: created_at is the store's local time with its offset
        {{ cdp.utc_timestamp('created_at') }} as purchased_at,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
