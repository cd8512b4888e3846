"""Loading flows as code: `flows/<name>.yml` (one flow each) and `flows/_policy.yml` (caps, quiet hours).

Files are parsed with their line numbers kept, checked against `automation.schema`, then for what a
schema cannot say (step ids unique, `goto` targets exist, templates compile, time zones exist); every
error names the file and the line of the offending value.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import jsonschema
import yaml

from automation import durations
from automation.errors import FlowDefinitionError
from automation.schema import FLOW_SCHEMA, POLICY_SCHEMA

POLICY_FILE = "_policy.yml"
Lines = dict[tuple[Any, ...], int]


@dataclass(frozen=True)
class Step:
    id: str
    kind: str  # wait | branch | send | exit
    spec: Any


@dataclass(frozen=True)
class Flow:
    name: str
    version: int
    trigger: dict[str, Any]
    steps: tuple[Step, ...]
    entry: str = "once"
    goal: dict[str, Any] | None = None
    exit_segment: str | None = None
    enabled: bool = True
    description: str = ""
    path: Path | None = None

    def step_index(self, step_id: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.id == step_id)


@dataclass(frozen=True)
class Policy:
    caps: dict[str, tuple[int, float]] = field(default_factory=dict)  # channel|all -> (max, per seconds)
    quiet_start: str | None = None
    quiet_end: str | None = None
    quiet_channels: tuple[str, ...] = ()
    default_timezone: str = "UTC"
    timezone_trait: str = "timezone"
    unsubscribe_url: str = "http://localhost:8000/unsubscribe?token={token}"


def _plain(loader: yaml.SafeLoader, node: yaml.Node, path: tuple[Any, ...], lines: Lines) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            result[key] = _plain(loader, value_node, (*path, key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node)


def parse_with_lines(path: Path) -> tuple[Any, Lines]:
    """The YAML document of `path` as plain Python, and the line of every value by its path."""
    try:
        loader = yaml.SafeLoader(path.read_text())
        try:
            node = loader.get_single_node()
            lines: Lines = {}
            document = _plain(loader, node, (), lines) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FlowDefinitionError(path, mark.line + 1 if mark else None, f"not valid YAML: {exc.problem}") from exc
    return document, lines


def _line(lines: Lines, path: tuple[Any, ...]) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def _schema_errors(path: Path, document: Any, lines: Lines, schema: dict[str, Any]) -> list[FlowDefinitionError]:
    validator = jsonschema.Draft202012Validator(schema)
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        best = jsonschema.exceptions.best_match([error])
        where = tuple(best.absolute_path)
        at = "/".join(map(str, where)) or "the document"
        value = f"`{best.instance}`" if not isinstance(best.instance, dict | list) else ""
        found.append(FlowDefinitionError(path, _line(lines, where), f"{at}: {value} {best.message}".replace("  ", " ")))
    return sorted(found, key=lambda e: e.line or 0)


def _check_template(path: Path, lines: Lines, where: tuple[Any, ...], text: str, env: jinja2.Environment) -> None:
    try:
        env.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        line = _line(lines, where)
        raise FlowDefinitionError(path, line, f"{'/'.join(map(str, where))}: template error: {exc.message}") from exc


def load_flow(path: Path, env: jinja2.Environment | None = None) -> Flow:
    path = Path(path)
    env = env or jinja2.Environment()
    document, lines = parse_with_lines(path)
    errors = _schema_errors(path, document, lines, FLOW_SCHEMA)
    if errors:
        raise errors[0]
    if document["name"] != path.stem:
        raise FlowDefinitionError(
            path, _line(lines, ("name",)), f"name `{document['name']}` must equal the file name `{path.stem}`"
        )
    ids: dict[str, int] = {}
    steps = []
    for index, raw in enumerate(document["steps"]):
        if raw["id"] in ids:
            raise FlowDefinitionError(
                path, _line(lines, ("steps", index, "id")), f"step id `{raw['id']}` is used twice in this flow"
            )
        ids[raw["id"]] = index
        kind = next(k for k in raw if k != "id")
        steps.append(Step(raw["id"], kind, raw[kind]))
    for index, step in enumerate(steps):
        if step.kind == "branch" and step.spec["goto"] not in ids:
            raise FlowDefinitionError(
                path,
                _line(lines, ("steps", index, "branch", "goto")),
                f"goto `{step.spec['goto']}` is not a step of this flow; valid: {', '.join(ids)}",
            )
        if step.kind == "branch" and ids[step.spec["goto"]] <= index:
            raise FlowDefinitionError(
                path, _line(lines, ("steps", index, "branch", "goto")), "goto must jump forward (no loops)"
            )
        if step.kind == "send":
            for part in ("subject", "body", "url"):
                if part in step.spec:
                    _check_template(path, lines, ("steps", index, "send", part), step.spec[part], env)
            if step.spec["channel"] == "email" and "subject" not in step.spec:
                raise FlowDefinitionError(path, _line(lines, ("steps", index, "send")), "an email needs a `subject`")
    trigger = document["trigger"]
    if trigger["type"] == "trait_changed" and sum(k in trigger for k in ("to", "crosses", "up_in")) > 1:
        raise FlowDefinitionError(
            path, _line(lines, ("trigger",)), "a trait trigger takes one of `to`, `crosses`, `up_in`"
        )
    is_keyed = bool(trigger.get("key")) or trigger["type"] == "restock"  # restock: one journey per product
    entry = document.get("entry", "once_per_key" if is_keyed else "once")
    if entry == "once_per_key" and not is_keyed:
        raise FlowDefinitionError(path, _line(lines, ("entry",)), "entry `once_per_key` needs a trigger `key`")
    goal = (document.get("exit") or {}).get("goal")
    if goal and goal.get("same_key") and not trigger.get("key"):
        raise FlowDefinitionError(path, _line(lines, ("exit", "goal")), "goal `same_key` needs a trigger `key`")
    return Flow(
        name=document["name"],
        version=document["version"],
        trigger=trigger,
        steps=tuple(steps),
        entry=entry,
        goal=goal,
        exit_segment=(document.get("exit") or {}).get("segment_exited"),
        enabled=document.get("enabled", True),
        description=document.get("description", ""),
        path=path,
    )


def load_policy(path: Path) -> Policy:
    path = Path(path)
    if not path.exists():
        return Policy()
    document, lines = parse_with_lines(path)
    document = document or {}
    errors = _schema_errors(path, document, lines, POLICY_SCHEMA)
    if errors:
        raise errors[0]
    quiet = document.get("quiet_hours") or {}
    timezone = document.get("default_timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FlowDefinitionError(
            path, _line(lines, ("default_timezone",)), f"time zone `{timezone}` is not an IANA zone"
        ) from exc
    return Policy(
        caps={name: (cap["max"], durations.seconds(cap["per"])) for name, cap in (document.get("caps") or {}).items()},
        quiet_start=quiet.get("start"),
        quiet_end=quiet.get("end"),
        quiet_channels=tuple(quiet.get("channels", ())),
        default_timezone=timezone,
        timezone_trait=document.get("timezone_trait", "timezone"),
        unsubscribe_url=document.get("unsubscribe_url", Policy.unsubscribe_url),
    )


def flow_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.yml") if not p.name.startswith("_"))


def validate_folder(folder: Path) -> tuple[list[Flow], list[FlowDefinitionError]]:
    """Every flow of `folder` and the policy: the valid flows, and one error per invalid file."""
    flows, errors = [], []
    for path in flow_files(folder):
        try:
            flows.append(load_flow(path))
        except FlowDefinitionError as exc:
            errors.append(exc)
    try:
        load_policy(Path(folder) / POLICY_FILE)
    except FlowDefinitionError as exc:
        errors.append(exc)
    return flows, errors


def load_folder(folder: Path) -> tuple[list[Flow], Policy]:
    """The flows and the policy of `folder`; raises the first error found."""
    flows, errors = validate_folder(folder)
    if errors:
        raise errors[0]
    return flows, load_policy(Path(folder) / POLICY_FILE)
