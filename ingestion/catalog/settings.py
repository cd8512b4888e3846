"""Where the product catalogue lands and what it is called in the warehouse."""

SOURCE_NAME = "catalog"
PRODUCTS_TABLE = "products"
# The whole catalogue as one JSON array, rewritten in place (read again whenever it changes).
PRODUCTS_PATTERN = "products.json"
