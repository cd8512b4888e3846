"""A customer's identity graph as a picture: identifiers and source records as nodes, laid out on two rings.

Each admitted link (`customer_identity_links`: two identifiers observed together on one source record)
gives the edges identifier — record — identifier, labelled with what the record shares. Identifiers the
graph refused (`identity_rejections`) hang off dashed edges labelled with the reason. Beyond
`COLLAPSE_LIMIT` nodes, identifiers are grouped per type and records per source table, so the picture of
a customer with thousands of web events stays readable. The path between two identifiers is
`cdp explain`'s answer: `Explanation.path` over the same links.
"""

import math
import sqlite3
from dataclasses import dataclass, field

from cdp.identity.explain import Explanation, Link
from console.masking import mask_key

COLLAPSE_LIMIT = 60
WIDTH = HEIGHT = 640


@dataclass
class Node:
    id: str
    label: str
    kind: str  # identifier | record | group | rejected
    x: float = 0.0
    y: float = 0.0


@dataclass
class Edge:
    source: str
    target: str
    label: str
    rejected: bool = False


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    collapsed: bool = False
    keys: dict[str, str] = field(default_factory=dict)  # node id -> identifier key (server side only)


def explanation(conn: sqlite3.Connection, customer_id: str) -> Explanation:
    identifiers = conn.execute(
        "select identifier_key, is_linkable from identities where customer_id = ?"
        " order by is_linkable desc, identifier_type, identifier_key",
        [customer_id],
    ).fetchall()
    links = [
        Link(*row)
        for row in conn.execute(
            "select from_key, to_key, source, source_table, source_record_id, observed_at from links"
            " where customer_id = ? order by observed_at",
            [customer_id],
        ).fetchall()
    ]
    return Explanation(customer_id, [(k, bool(ok)) for k, ok in identifiers], links)


def rejections(conn: sqlite3.Connection, keys: list[str]) -> list[tuple[str, str | None, str]]:
    """(identifier, linked identifier or None, reason) for refused identifiers and edges among `keys`."""
    found: list[tuple[str, str | None, str]] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found += conn.execute(
            f"select identifier_key, linked_identifier_key, reason from rejections where identifier_key in ({marks})"
            f" union select identifier_key, linked_identifier_key, reason from rejections"
            f" where linked_identifier_key in ({marks})",
            chunk + chunk,
        ).fetchall()
    return sorted(set(found), key=lambda r: (r[0], r[1] or "", r[2]))


def size(conn: sqlite3.Connection, customer_id: str) -> int:
    """Identifiers plus source records of a customer: what the picture would draw (two indexed counts)."""
    identifiers = conn.execute("select count(*) from identities where customer_id = ?", [customer_id]).fetchall()
    records = conn.execute(
        "select count(*) from (select distinct source, source_table, source_record_id from links"
        " where customer_id = ?)",
        [customer_id],
    ).fetchall()
    return identifiers[0][0] + records[0][0]


def build(conn: sqlite3.Connection, customer_id: str, masked: bool) -> tuple[Graph, Explanation | None]:
    """The picture; with it the Explanation (for paths), or None when the graph is drawn grouped (a large
    customer: aggregated in SQL, no per-identifier nodes to click)."""
    graph = Graph()
    if size(conn, customer_id) > COLLAPSE_LIMIT:
        _collapsed(graph, conn, customer_id)
        _layout(graph)
        return graph, None
    expl = explanation(conn, customer_id)
    show = mask_key if masked else (lambda k: k)
    keys = [k for k, _ in expl.identifiers]
    records = sorted({(link.source, link.source_table, link.source_record_id) for link in expl.links})
    refused = rejections(conn, keys)
    ids = {k: f"i{n}" for n, k in enumerate(keys)}
    for key, node_id in ids.items():
        graph.nodes.append(Node(node_id, show(key), "identifier"))
        graph.keys[node_id] = key
    rec_ids = {r: f"r{n}" for n, r in enumerate(records)}
    for (source, table, record_id), node_id in rec_ids.items():
        graph.nodes.append(Node(node_id, f"{source}.{table} #{record_id}", "record"))
    seen = set()
    for link in expl.links:
        rec = rec_ids[(link.source, link.source_table, link.source_record_id)]
        for key in (link.from_identifier, link.to_identifier):
            if key in ids and (rec, key) not in seen:
                seen.add((rec, key))
                graph.edges.append(Edge(rec, ids[key], f"has {key.partition(':')[0]}"))
    for n, (key, linked, reason) in enumerate(refused):
        node_id = ids.get(key)
        if node_id is None:
            node_id = f"x{n}"
            graph.nodes.append(Node(node_id, show(key), "rejected"))
        target = ids.get(linked) if linked else None
        if target is None and linked:
            target = f"y{n}"
            graph.nodes.append(Node(target, show(linked), "rejected"))
        if target is None:  # a refused identifier: shown beside the customer's strongest identifier
            hub = expl.hub()
            target = ids.get(hub) if hub else None
        if target and target != node_id:
            graph.edges.append(Edge(node_id, target, f"rejected: {reason}", rejected=True))
    _layout(graph)
    return graph, expl


def _collapsed(graph: Graph, conn: sqlite3.Connection, customer_id: str) -> None:
    graph.collapsed = True
    for identifier_type, count in conn.execute(
        "select identifier_type, count(*) from identities where customer_id = ? group by 1 order by 1", [customer_id]
    ).fetchall():
        graph.nodes.append(Node(f"t:{identifier_type}", f"{identifier_type} ×{count:,}", "group"))
    for table, count in conn.execute(
        "select source || '.' || source_table, count(distinct source_record_id) from links where customer_id = ?"
        " group by 1 order by 1",
        [customer_id],
    ).fetchall():
        graph.nodes.append(Node(f"s:{table}", f"{table} ×{count:,} records", "group"))
    pairs = conn.execute(
        "select distinct source || '.' || source_table, substr(from_key, 1, instr(from_key, ':') - 1)"
        " from links where customer_id = ?"
        " union select distinct source || '.' || source_table, substr(to_key, 1, instr(to_key, ':') - 1)"
        " from links where customer_id = ? order by 1, 2",
        [customer_id, customer_id],
    ).fetchall()
    known = {n.id for n in graph.nodes}
    for table, identifier_type in pairs:
        if f"s:{table}" in known and f"t:{identifier_type}" in known:
            graph.edges.append(Edge(f"s:{table}", f"t:{identifier_type}", "shares"))
    keys = [k for (k,) in conn.execute("select identifier_key from identities where customer_id = ?", [customer_id])]
    reasons: dict[str, int] = {}
    for _, _, reason in rejections(conn, keys):
        reasons[reason] = reasons.get(reason, 0) + 1
    anchor = graph.nodes[0].id if graph.nodes else None
    for n, (reason, count) in enumerate(sorted(reasons.items())):
        graph.nodes.append(Node(f"x{n}", f"{count} refused", "rejected"))
        if anchor:
            graph.edges.append(Edge(f"x{n}", anchor, f"rejected: {reason}", rejected=True))


def _layout(graph: Graph) -> None:
    """Identifiers (and groups of them) on the inner ring, records and refused values on the outer one."""
    inner = [n for n in graph.nodes if n.kind == "identifier" or n.id.startswith("t:")]
    outer = [n for n in graph.nodes if n not in inner]
    cx, cy = WIDTH / 2, HEIGHT / 2
    for ring, radius in ((inner, 150 if outer else 220), (outer, 270)):
        for n, node in enumerate(ring):
            angle = 2 * math.pi * n / max(len(ring), 1) - math.pi / 2
            node.x, node.y = round(cx + radius * math.cos(angle), 1), round(cy + radius * math.sin(angle), 1)


def path(expl: Explanation | None, graph: Graph, start: str, end: str, masked: bool) -> dict:
    """The chain of links joining two clicked identifier nodes, as `cdp explain` gives it."""
    if expl is None or start not in graph.keys or end not in graph.keys:
        return {"error": "Pick two identifier nodes (records and groups have no path of their own)"}
    steps = expl.path(graph.keys[start], graph.keys[end])
    show = mask_key if masked else (lambda k: k)
    if steps is None:
        return {"found": False, "steps": []}
    return {
        "found": True,
        "steps": [
            {
                "from": show(s.from_identifier),
                "to": show(s.to_identifier),
                "record": f"{s.source}.{s.source_table} #{s.source_record_id}",
                "observed_at": s.observed_at,
            }
            for s in steps
        ],
    }
