"""Which landing files are new since the last run, kept in the resource's dlt state.

A file is identified by its path relative to the landing folder, its size and its modification time,
so a file that is rewritten (a re-export) is read again and one that is unchanged is skipped. The state
is committed with the load package, so a crashed run re-reads its files on the next run.
"""

from dataclasses import dataclass
from pathlib import Path

import dlt


@dataclass(frozen=True)
class LandingFile:
    path: Path
    name: str  # relative to the landing folder, stored in `_file_name` and in the state
    fingerprint: str


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def new_landing_files(folder: Path, pattern: str, root: Path | None = None) -> list[LandingFile]:
    """Files under `folder` matching `pattern` not yet loaded with the same fingerprint, sorted by name."""
    root = root or folder
    seen: dict[str, str] = dlt.current.resource_state().setdefault("files", {})
    found = []
    for path in sorted(folder.glob(pattern)):
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        fingerprint = _fingerprint(path)
        if seen.get(name) != fingerprint:
            found.append(LandingFile(path, name, fingerprint))
    return found


def remember_landing_file(landing_file: LandingFile) -> None:
    """Mark a file as loaded; call after its rows have been yielded."""
    dlt.current.resource_state().setdefault("files", {})[landing_file.name] = landing_file.fingerprint
