"""Readers cut landing files into records; what they cannot cut comes back rejected, never dropped."""

from pathlib import Path

import pytest

from ingestion.common.readers import read_csv, read_json_array, read_jsonl


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_jsonl_lines_keep_their_order_and_a_last_line_without_newline_counts(tmp_path):
    records = read_jsonl(write(tmp_path, "a.jsonl", b'{"n":1}\r\n{"n":2}\n{"n":3}'))
    assert records.payloads.to_pylist() == ['{"n":1}\r\n', '{"n":2}\n', '{"n":3}']
    assert records.rejected == []


def test_jsonl_byte_order_mark_is_ignored(tmp_path):
    records = read_jsonl(write(tmp_path, "a.jsonl", b'\xef\xbb\xbf{"n":1}\n'))
    assert records.payloads.to_pylist() == ['{"n":1}\n']


def test_jsonl_line_that_is_not_utf8_is_rejected_and_the_others_kept(tmp_path):
    records = read_jsonl(write(tmp_path, "a.jsonl", b'{"n":1}\n{"n":"\xff\xfe"}\n{"n":3}\n'))
    assert records.payloads.to_pylist() == ['{"n":1}\n', None, '{"n":3}\n']
    (rejected,) = records.rejected
    assert rejected.reason.startswith("not valid UTF-8")
    assert rejected.payload == '{"n":"\ufffd\ufffd"}'


@pytest.mark.parametrize(
    ("text", "elements", "reason"),
    [
        ("[]", [], None),
        (' [ {"a": 1} , {"b": [2]} ]\n', ['{"a": 1}', '{"b": [2]}'], None),
        ('[{"a": 1}, {"b": ', ['{"a": 1}'], "invalid JSON at character"),
        ('[{"a": 1},', ['{"a": 1}'], "JSON array is not closed"),
        ('{"a": 1}', [], "not a JSON array"),
    ],
    ids=["empty", "two-elements", "cut-mid-element", "cut-after-comma", "not-an-array"],
)
def test_json_array_elements_before_a_cut_are_kept(tmp_path, text, elements, reason):
    records = read_json_array(write(tmp_path, "a.json", text.encode()))
    assert records.payloads.to_pylist() == elements
    assert [r.reason.startswith(reason) for r in records.rejected] == ([True] if reason else [])


def test_csv_rows_become_json_objects_keyed_by_the_header(tmp_path):
    records = read_csv(write(tmp_path, "a.csv", b'id,name\n1,"Smith, Ann"\n2,\n3\n'))
    assert records.payloads.to_pylist() == ['{"id":"1","name":"Smith, Ann"}', '{"id":"2","name":null}']
    (short,) = records.rejected
    assert short.payload == "3"


def test_empty_csv_file_has_no_records(tmp_path):
    records = read_csv(write(tmp_path, "a.csv", b""))
    assert len(records.payloads) == 0 and records.rejected == []
