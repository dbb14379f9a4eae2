"""HumanEval single-line infilling, generated from HumanEval's canonical solutions.

The construction of "HumanEval-infilling, single-line" (Bavarian et al., 2022, *Efficient
Training of Language Models to Fill in the Middle*): every non-blank line of a canonical
solution is masked in turn. The prefix is the problem's prompt plus the solution's lines before
the masked one, the suffix the lines after it; the answer is the masked line (its indentation
included, no newline). The completed program is prefix + line + "\\n" + suffix, tested by the
problem's own `check`. Deterministic: same input, same bytes out; 1,033 items from the 164
problems.

    python -m relaytools.humaneval_line data/humaneval/test.jsonl > data/humaneval-line/test.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Iterator


def masked_lines(problem: dict) -> Iterator[dict]:
    lines = problem["canonical_solution"].split("\n")
    # The solution ends with a newline, so its last element is "" (never masked: blank).
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        before = "".join(part + "\n" for part in lines[:i])
        yield {
            "task_id": f"{problem['task_id']}/L{i}",
            "source": problem["task_id"],
            "line": i,
            "prompt": problem["prompt"] + before,
            "suffix": "\n".join(lines[i + 1 :]),
            "answer": line,
            "test": problem["test"],
            "entry_point": problem["entry_point"],
        }


def generate(problems: list[dict]) -> list[dict]:
    return [item for problem in problems for item in masked_lines(problem)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("humaneval", help="data/humaneval/test.jsonl")
    args = parser.parse_args(argv)
    with open(args.humaneval, encoding="utf-8") as f:
        problems = [json.loads(line) for line in f if line.strip()]
    out = sys.stdout
    for item in generate(problems):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
