"""Plotly figures of the console (as JSON the page's script draws) and segment metadata from the project.

Figures are plain Plotly JSON built here, drawn in the browser by Plotly's own plotly.min.js, which ships
inside the plotly Python package and is served by the console itself (nothing fetched from a CDN).
"""

from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent.parent
SEGMENTS_YAML = PROJECT / "models" / "segments" / "_segments.yml"
SYNCS_YAML = PROJECT / "models" / "activation" / "_syncs.yml"
FLOWS_DIR = PROJECT / "flows"
LAYOUT = {"margin": {"l": 50, "r": 20, "t": 40, "b": 60}, "height": 300, "font": {"size": 12}}


def plotly_js_path() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _bar(title: str, labels: list, values: list, **extra: Any) -> dict:
    return {
        "data": [{"type": "bar", "x": labels, "y": values, **extra}],
        "layout": {**LAYOUT, "title": {"text": title}},
    }


def overview_figures(facts: dict) -> dict[str, dict]:
    if not facts:
        return {}
    ids = facts.get("identifiers_by_type", [])
    comps = facts.get("component_sizes", [])
    rejects = facts.get("rejections_by_reason", [])
    return {
        "identifiers": _bar("Identifiers per type", [t for t, _ in ids], [n for _, n in ids]),
        "components": _bar(
            "Customers by source records joined (identity component size)",
            [b for b, _ in comps],
            [n for _, n in comps],
        ),
        "rejections": _bar(
            "Refused identifiers and edges by reason",
            [f"{k}: {r}" for k, r, _ in rejects],
            [n for _, _, n in rejects],
            marker={"color": "#c0392b"},
        ),
    }


def segment_figure(name: str, sizes: list[tuple], moves: list[tuple]) -> dict:
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "members",
                "x": [d for d, _, _ in sizes],
                "y": [m for _, m, _ in sizes],
            },
            {
                "type": "bar",
                "name": "entered",
                "x": [d for d, _, _ in moves],
                "y": [e for _, e, _ in moves],
                "marker": {"color": "#27ae60"},
            },
            {
                "type": "bar",
                "name": "exited",
                "x": [d for d, _, _ in moves],
                "y": [-x for _, _, x in moves],
                "marker": {"color": "#c0392b"},
            },
        ],
        "layout": {**LAYOUT, "title": {"text": f"{name}: size and entered/exited per day"}, "barmode": "relative"},
    }


@cache
def segment_definitions() -> dict[str, dict]:
    """Segment -> {description, owner, consent_purpose, holdout_percent} from models/segments/_segments.yml."""
    if not SEGMENTS_YAML.exists():
        return {}
    document = yaml.safe_load(SEGMENTS_YAML.read_text()) or {}
    result = {}
    for model in document.get("models", []):
        meta = (model.get("config") or {}).get("meta") or {}
        result[model["name"]] = {"description": model.get("description", ""), **meta}
    return result


def _strings(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_strings(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_strings(v) for v in node)) if node else set()
    return {node} if isinstance(node, str) else set()


@cache
def segment_usage() -> dict[str, list[str]]:
    """Segment -> syncs (`sync:<name>`) and flows (`flow:<name>`) that name it."""
    names = set(segment_definitions())
    usage: dict[str, list[str]] = {}
    if SYNCS_YAML.exists():
        for exposure in (yaml.safe_load(SYNCS_YAML.read_text()) or {}).get("exposures", []):
            segment = ((exposure.get("meta") or {}).get("sync") or {}).get("segment")
            if segment:
                usage.setdefault(segment, []).append(f"sync:{exposure['name']}")
    for path in sorted(FLOWS_DIR.glob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        if not isinstance(document, dict) or "name" not in document:
            continue
        for segment in sorted(_strings(document) & names):
            usage.setdefault(segment, []).append(f"flow:{document['name']}")
    return usage
