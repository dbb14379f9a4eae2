"""The math-verify grader helper: its stable API, the issue's cases, and the batch CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relaytools.grade import answer_text, grade, grade_all, grade_line, gold_text

PYTHON_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "response, gold",
    [
        ("So the total is $\\boxed{11,\\! 111,\\! 111,\\! 100}$.", "11111111100"),
        ("The answer is $\\boxed{\\text{(C)}}$.", "C"),
        ("The roots are $\\boxed{2}$ and $\\boxed{-5}$.", "-5, 2"),
        ("The rate is 28 percent.", "28\\%"),
        ("The final answer is 391.", "391"),
        ("Therefore, the answer is **391**.", "391"),
        ("We get $\\boxed{\\frac{1}{2}}$.", "0.5"),
        ("<think>maybe \\boxed{5}</think>\nSo the answer is \\boxed{7}.", "7"),
    ],
)
def test_right_answers_are_right(response, gold):
    correct, extracted = grade(response, gold)
    assert correct, (response, gold, extracted)
    assert extracted


@pytest.mark.parametrize(
    "response, gold",
    [
        ("\\boxed{43}", "42"),
        ("<think>It is \\boxed{7}</think> Hmm, \\boxed{8}.", "7"),
        ("<think>The answer is \\boxed{7}, I think, but", "7"),
        ("I cannot solve this.", "7"),
        ("\\boxed{(2, 1)}", "(1, 2)"),
    ],
)
def test_wrong_answers_are_wrong(response, gold):
    assert grade(response, gold)[0] is False


def test_api_returns_correct_and_extracted():
    assert grade("The final answer is $\\frac{3}{4}$.", "0.75") == (True, "\\frac{3}{4}")
    assert grade("No answer here.", "1") == (False, None)
    # Off the main thread (no signal-based timeouts) it still grades.
    assert grade("\\boxed{2}", "2", timeout_seconds=None) == (True, "2")
    assert grade_all([("\\boxed{2}", "2"), ("\\boxed{3}", "2")]) == [(True, "2"), (False, "3")]


def test_reasoning_blocks():
    assert answer_text("<think>a</think>b") == "b"
    assert answer_text("<think>a</think>b<think>c</think>d") == "d"
    assert answer_text("<think>never closed") == ""
    assert answer_text("</think>after a template-opened block") == "after a template-opened block"
    assert answer_text("plain") == "plain"


def test_gold_is_read_as_a_boxed_answer():
    assert gold_text("\\frac{1}{2}") == "\\boxed{\\frac{1}{2}}"
    assert gold_text("\\boxed{3}") == "\\boxed{3}"


def test_a_bad_line_is_an_error_for_that_line():
    assert grade_line('{"response": "\\\\boxed{1}", "gold": "1"}') == {"correct": True, "extracted": "1"}
    assert "not valid JSON" in grade_line("{oops")["error"]
    assert grade_line("[1, 2]") == {"error": "not a JSON object"}
    assert "response" in grade_line('{"response": 3, "gold": "1"}')["error"]


def run_cli(*args, stdin=""):
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR)}
    return subprocess.run([sys.executable, "-m", "relaytools.grade", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def test_batch_cli_grades_in_order_and_survives_bad_lines(tmp_path):
    lines = [
        json.dumps({"response": "The final answer is 12.", "gold": "12"}),
        "not json",
        "",
        json.dumps({"response": "\\boxed{5}", "gold": "6"}),
    ]
    out = run_cli(stdin="\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    verdicts = [json.loads(line) for line in out.stdout.splitlines()]
    assert verdicts[0] == {"correct": True, "extracted": "12"}
    assert "not valid JSON" in verdicts[1]["error"]
    assert verdicts[2] == {"correct": False, "extracted": "5"}
    assert len(verdicts) == 3  # blank lines are not inputs

    file = tmp_path / "pairs.jsonl"
    file.write_text(lines[0] + "\n")
    ready = run_cli("--ready", str(file))
    first, second = [json.loads(line) for line in ready.stdout.splitlines()]
    assert first == {"ready": True, "math_verify": "0.9.0"}
    assert second["correct"] is True
