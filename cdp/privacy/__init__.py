"""Privacy: consent is modelled in dbt; this package runs privacy requests (suppress, delete, export),
keeps the keyed-hash suppression list and enforces retention."""
