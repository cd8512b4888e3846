"""Turn one landing file into records: an Arrow string array of payloads, one per record.

Every reader makes each payload the JSON text of one record (a JSONL line, an element of a JSON array,
a CSV row as a JSON object keyed by its header), so one SQL step (`ingestion.common.records`) can check,
flatten and type the records of every file format. What a reader cannot even cut into records (an
invalid UTF-8 line, a CSV row with the wrong number of fields, the rest of a truncated JSON array) is
returned as `Rejected`, to be quarantined with its raw text.

Readers stay off row-by-row Python for the big files: JSONL is sliced into an Arrow string array on
the newline offsets without decoding the lines one by one, and CSV is parsed by DuckDB.
"""

import array
import csv
import itertools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa

_UTF8_BOM = b"\xef\xbb\xbf"
_UNREADABLE_PAYLOAD_CHARS = 100_000

log = logging.getLogger(__name__)


class Rejected(NamedTuple):
    """A piece of a file that is not a record, with why; it is quarantined as read."""

    payload: str
    reason: str


class FileRecords(NamedTuple):
    payloads: pa.Array  # large_string; a null is a position with no record (an undecodable line)
    rejected: list[Rejected]


Reader = Callable[[Path], FileRecords]


def _line_offsets(data: bytes) -> array.array:
    """Start offsets of the lines of `data` plus its end: line i is data[offsets[i]:offsets[i + 1]]."""
    offsets = array.array("q", [0])
    find, position, end = data.find, 0, len(data)
    while (newline := find(b"\n", position)) >= 0:
        position = newline + 1
        offsets.append(position)
    if position < end:
        offsets.append(end)  # a last line without a newline
    return offsets


def read_jsonl(path: Path) -> FileRecords:
    """One record per line. Lines keep their newline here; the SQL step trims it and skips blank lines."""
    data = path.read_bytes()
    data = data.removeprefix(_UTF8_BOM)
    offsets = _line_offsets(data)
    lines = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        return _read_jsonl_checking_utf8(data, offsets)
    return FileRecords(lines, [])


def _read_jsonl_checking_utf8(data: bytes, offsets: array.array) -> FileRecords:
    # Slow path, only for a file with invalid UTF-8 somewhere: decode line by line to find the bad ones.
    good: list[str | None] = []
    rejected = []
    for start, end in itertools.pairwise(offsets):
        raw = data[start:end]
        try:
            good.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            good.append(None)
            rejected.append(Rejected(raw.decode("utf-8", errors="replace").rstrip("\r\n"), f"not valid UTF-8: {exc}"))
    return FileRecords(pa.array(good, pa.large_string()), rejected)


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def read_json_array(path: Path) -> FileRecords:
    """One record per element of a top-level JSON array; a truncated file keeps the elements before the cut.

    These exports are small (a month of tickets, the catalogue), so Python's decoder is fast enough; it
    is used element by element so that one broken element does not throw away the whole file.
    """
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    decoder = json.JSONDecoder()
    elements: list[str] = []
    rejected: list[Rejected] = []
    position = _skip_whitespace(text, 0)
    if not text.startswith("[", position):
        rejected.append(Rejected(text, "not a JSON array"))
    else:
        position += 1
        while True:
            position = _skip_whitespace(text, position)
            if text.startswith("]", position) or position >= len(text):
                if position >= len(text):
                    rejected.append(Rejected(text[-200:], "JSON array is not closed (truncated file?)"))
                break
            try:
                _, end = decoder.raw_decode(text, position)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON at character {exc.pos}: {exc.msg}; the rest of the file is unread"
                rejected.append(Rejected(text[position:], reason))
                break
            elements.append(text[position:end])
            position = _skip_whitespace(text, end)
            if text.startswith(",", position):
                position += 1
    return FileRecords(pa.array(elements, pa.large_string()), rejected)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_csv(path: Path) -> FileRecords:
    """One record per CSV row, as a JSON object keyed by the header; rows of the wrong width are rejected."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as f:
        header = next(csv.reader(f), None)
    if not header:
        return FileRecords(pa.array([], pa.large_string()), [])
    columns = "{" + ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in header) + "}"
    with duckdb.connect() as con:
        try:
            con.execute(
                f"""
                create temp table csv_rows as
                select * from read_csv(
                    {_sql_string(str(path))}, header = true, columns = {columns}, auto_detect = false,
                    delim = ',', quote = '"', escape = '"', null_padding = false,
                    store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_scans'
                )
                """
            )
        except duckdb.Error as exc:
            log.warning("could not parse CSV %s: %s", path, exc)
            text = path.read_bytes().decode("utf-8", errors="replace")[:_UNREADABLE_PAYLOAD_CHARS]
            return FileRecords(pa.array([], pa.large_string()), [Rejected(text, f"unreadable CSV file: {exc}")])
        payloads = con.sql("select to_json(csv_rows)::varchar as payload from csv_rows order by rowid")
        payloads = payloads.to_arrow_table().column("payload").combine_chunks().cast(pa.large_string())
        bad_rows = con.execute(
            """
            select any_value(csv_line), string_agg(distinct error_message, '; ')
            from csv_rejects group by line order by line
            """
        ).fetchall()
    rejected = [Rejected(line, f"CSV row does not match the header: {message}") for line, message in bad_rows]
    return FileRecords(payloads, rejected)


READERS: dict[str, Reader] = {"jsonl": read_jsonl, "json_array": read_json_array, "csv": read_csv}
