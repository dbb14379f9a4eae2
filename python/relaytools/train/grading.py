"""Graders: is a student's or teacher's answer right? Pluggable by name.

`math-verify` is the project's grader (the paper's: `\\boxed{}` first, then SymPy comparison).
`numeric` is a plain reading for the generated arithmetic set, whose answers are integers: the
last `\\boxed{}` if there is one, else the last number in the text, compared as an integer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Grader = Callable[[str, str], bool]  # (answer text, gold answer) -> correct

_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _last_number(text: str) -> float | None:
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


def numeric(answer: str, gold: str) -> bool:
    boxed = _BOXED.findall(answer)
    value = _last_number(boxed[-1]) if boxed else _last_number(answer)
    target = _last_number(gold)
    return value is not None and target is not None and value == target


def math_verify(answer: str, gold: str) -> bool:
    # Imported on use: math-verify is in the train and tools environments only.
    from math_verify import parse, verify

    try:
        return bool(verify(parse(f"${gold}$"), parse(answer)))
    except Exception:  # math-verify raises on unparsable input; that answer is wrong
        return False


GRADERS: dict[str, Grader] = {"math-verify": math_verify, "numeric": numeric}


def grader(name: str) -> Grader:
    try:
        return GRADERS[name]
    except KeyError:
        raise ValueError(f"unknown grader {name!r}; one of {sorted(GRADERS)}") from None
