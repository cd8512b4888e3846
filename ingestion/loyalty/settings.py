"""Where the loyalty programme's exports land and what they are called in the warehouse."""

SOURCE_NAME = "loyalty"
MEMBERS_TABLE = "members"
# One export per day it ran, e.g. members_20260301.csv
MEMBERS_PATTERN = "members_*.csv"
