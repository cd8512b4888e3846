"""Helpers every source shares: quarantine, load statistics and landing-file tracking."""

from ingestion.common.files import LandingFile, new_landing_files, remember_landing_file
from ingestion.common.quarantine import QuarantineRow, TableCounts, counts_item, finish, quarantine_item

__all__ = [
    "LandingFile",
    "QuarantineRow",
    "TableCounts",
    "counts_item",
    "finish",
    "new_landing_files",
    "quarantine_item",
    "remember_landing_file",
]
