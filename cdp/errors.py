"""One exception hierarchy for the project.

Messages name the bad value in backticks, where it came from and what would be valid.
"""


class CdpError(Exception):
    """Base class of every error the CDP raises on purpose."""


class ConfigError(CdpError):
    """A setting is missing or invalid."""


class IngestionError(CdpError):
    """A source could not be loaded."""


class UnknownSourceError(IngestionError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"Unknown source `{name}`; valid sources are: {', '.join(known)}")
        self.name = name


class BuildError(CdpError):
    """dbt failed."""
