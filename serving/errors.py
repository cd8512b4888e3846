"""Errors of the serving layer, in the project's one hierarchy (`cdp.errors.CdpError`)."""

from cdp.errors import CdpError


class ServingError(CdpError):
    """The serving store or its configuration is missing or invalid."""


class StoreMissingError(ServingError):
    def __init__(self, path: object) -> None:
        super().__init__(f"No serving store at `{path}`; run `cdp publish` first to create it from the warehouse")
        self.path = path


class PersonalizationConfigError(ServingError):
    """The personalisation YAML names something that does not exist or has the wrong shape."""
