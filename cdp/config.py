"""Where things live: paths and settings read from the environment, in one place.

Everything may import this module; it imports nothing of the project.
"""

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path_from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    path = Path(value) if value else default
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class Settings:
    """Paths of one CDP installation. Relative paths resolve against the project root."""

    duckdb_path: Path
    landing_dir: Path
    pipelines_dir: Path
    lake_dir: Path | None = None  # Parquet landing for engines that read files (Spark); data/lake
    project_dir: Path = PROJECT_ROOT

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = _path_from_env("CDP_DATA_DIR", PROJECT_ROOT / "data")
        return cls(
            duckdb_path=_path_from_env("CDP_DUCKDB_PATH", data_dir / "warehouse.duckdb"),
            landing_dir=_path_from_env("CDP_LANDING_DIR", data_dir / "landing"),
            pipelines_dir=_path_from_env("CDP_PIPELINES_DIR", data_dir / "dlt_pipelines"),
            lake_dir=_path_from_env("CDP_LAKE_DIR", data_dir / "lake"),
        )

    @property
    def lake(self) -> Path:
        """The Parquet lake folder: `lake_dir`, or `lake` beside the warehouse file."""
        return self.lake_dir or self.duckdb_path.parent / "lake"
