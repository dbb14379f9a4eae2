"""The command as the product reads it: the shared table of tag cases, and the helpers built on it."""

import json
import re
from pathlib import Path

import pytest

from relaytools.train import tags

# The same table test/unit/tagScanner.test.ts runs against the product's scanner.
TABLE = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "tag-cases.json"
CASES = json.loads(TABLE.read_text(encoding="utf-8"))["cases"]


def test_the_table_is_the_products():
    assert len(CASES) >= 40
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_case(case):
    text, max_span, events = case["text"], case["maxSpanTokens"], case["events"]
    assert tags.scan(text, max_span) == events
    assert tags.strip(text) == case["visible"]
    calls = [e for e in events if e["type"] == "call"]
    assert tags.commands(text) == [int(e["requested"]) for e in calls]
    assert tags.malformed(text) == [e["reason"] for e in events if e["type"] == "malformed"]
    for e in calls:
        assert tags.clamp(e["requested"], max_span) == e["n"]
    # The command that ends a text (the student stopped at `</call>`): a call and nothing after it
    # but whitespace.
    blank = re.compile(f"{tags._WS}*")
    tail = [e for e in events if not (e["type"] == "text" and blank.fullmatch(e["text"]))]
    ends_with_call = bool(tail) and tail[-1]["type"] == "call"
    assert tags.last_command(text) == (int(tail[-1]["requested"]) if ends_with_call else None)


def test_render_and_parse_round_trip():
    assert tags.render(16) == "<call>16</call>"
    assert tags.last_command("so 12 + 30 <call>16</call>") == 16
    assert tags.last_command("so <call> 7 </call>") == 7
    with pytest.raises(ValueError):
        tags.render(0)


@pytest.mark.parametrize("text", ["<call>0</call>", "<call></call>", "<call>x</call>", "no tag", "<call>5</call> then more"])
def test_no_call(text):
    assert tags.last_command(text) is None


def test_clamp_bounds_n():
    assert tags.clamp(0, 32) == 1 and tags.clamp(500, 32) == 32 and tags.clamp(8, 32) == 8
