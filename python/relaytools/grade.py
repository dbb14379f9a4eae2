"""The paper's grader: HuggingFace Math-Verify on a response and its gold answer.

Stable API (the training helper and `relay eval --grader math-verify` use it):

    grade(response, gold) -> (correct, extracted)
    grade_all([(response, gold), ...]) -> [(correct, extracted), ...]

`response` is graded on the text after any `<think>…</think>` block (Qwen3-style reasoning; an
unclosed block means the answer was cut off inside the reasoning: nothing to grade). Extraction
follows Math-Verify's order with `\\boxed{}` first (the math prompt asks for it), then "final
answer is …", "answer: …", then the last LaTeX expression or number. The gold answer is parsed
as a boxed LaTeX answer.

Batch CLI, one JSON object per line in, one out, in order, flushed per line:

    python -m relaytools.grade < pairs.jsonl
    {"response": "... \\boxed{42}", "gold": "42"}  ->  {"correct": true, "extracted": "42"}

A line that is not a JSON object with string fields "response" and "gold" gets
{"error": "..."} and the rest are still graded.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from functools import lru_cache
from importlib.metadata import version
from typing import Iterable, Iterator

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

# Math-Verify logs every parse failure and timeout; a grader's verdict is the output here.
logging.getLogger("math_verify").setLevel(logging.ERROR)

PRED_CONFIG = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())
GOLD_CONFIG = (LatexExtractionConfig(), ExprExtractionConfig())

_THINK_CLOSE = re.compile(r"</think\s*>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"<think\s*>", re.IGNORECASE)


def answer_text(response: str) -> str:
    """The part of a response that is graded: after the last `</think>`; "" if a block is unclosed."""
    closes = list(_THINK_CLOSE.finditer(response))
    if closes:
        return response[closes[-1].end():]
    return "" if _THINK_OPEN.search(response) else response


def gold_text(gold: str) -> str:
    """A gold answer as Math-Verify reads it best: inside `\\boxed{}` unless it already is."""
    gold = gold.strip()
    return gold if "\\boxed" in gold else "\\boxed{" + gold + "}"


def _extracted(parsed: list) -> str | None:
    if not parsed:
        return None
    # parse() returns [sympy value, the matched text]; the text is what a person reads.
    text = parsed[-1] if isinstance(parsed[-1], str) else str(parsed[0])
    return text.strip().rstrip(".,").strip("* ") or None


@lru_cache(maxsize=4096)
def _parse_gold(gold: str, timeout_seconds: int | None) -> list:
    # An eval grades many answers against the same gold: parse it once.
    return parse(gold_text(gold), GOLD_CONFIG, parsing_timeout=timeout_seconds)


def grade(response: str, gold: str, timeout_seconds: int | None = 5) -> tuple[bool, str | None]:
    """(correct, extracted answer or None). Use timeout_seconds=None off the main thread."""
    text = answer_text(response)
    pred = parse(text, PRED_CONFIG, parsing_timeout=timeout_seconds) if text.strip() else []
    if not pred:
        return False, None
    gold_parsed = _parse_gold(gold, timeout_seconds)
    if not gold_parsed:
        return False, _extracted(pred)
    return bool(verify(gold_parsed, pred, timeout_seconds=timeout_seconds)), _extracted(pred)


def grade_all(pairs: Iterable[tuple[str, str]], timeout_seconds: int | None = 5) -> list[tuple[bool, str | None]]:
    """grade() over (response, gold) pairs, in order."""
    return [grade(response, gold, timeout_seconds) for response, gold in pairs]


def grade_line(line: str) -> dict:
    """One JSONL line in, its verdict (or an error for that line) out."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return {"error": f"not valid JSON: {error.msg} at column {error.colno}"}
    if not isinstance(record, dict):
        return {"error": "not a JSON object"}
    response, gold = record.get("response"), record.get("gold")
    if not isinstance(response, str) or not isinstance(gold, str):
        return {"error": 'needs string fields "response" and "gold"'}
    try:
        correct, extracted = grade(response, gold)
    except Exception as error:  # noqa: BLE001 - one bad pair must not stop the batch
        return {"error": f"math-verify failed: {type(error).__name__}: {error}"}
    return {"correct": correct, "extracted": extracted}


def grade_lines(lines: Iterable[str]) -> Iterator[dict]:
    for line in lines:
        if line.strip():
            yield grade_line(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="relaytools.grade", description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", help="a JSONL file (default: stdin)")
    parser.add_argument("--ready", action="store_true", help='first print {"ready": true, ...} once math-verify is loaded')
    args = parser.parse_args(argv)
    if args.ready:
        sys.stdout.write(json.dumps({"ready": True, "math_verify": version("math-verify")}) + "\n")
        sys.stdout.flush()
    source = open(args.input, encoding="utf-8") if args.input else sys.stdin
    with source:
        for verdict in grade_lines(source):
            sys.stdout.write(json.dumps(verdict) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
