"""Held-out accuracy and calling of a student checkpoint, with the real teacher in the loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from . import relay, tags
from .grading import Grader
from .prompts import chatml, math_user
from .relay import Answer, RelayLimits, TeacherFn
from .segments import teacher_tokens


@dataclass(frozen=True)
class Scores:
    items: int
    accuracy: float
    call_rate: float  # answers with at least one well-formed call
    calls_per_answer: float
    call_ratio: float  # teacher tokens / all tokens (the paper's metric)
    malformed_rate: float  # answers with a malformed tag, as the product counts them (tags.malformed)

    def as_json(self) -> dict[str, float]:
        return asdict(self)


def answers(model: Any, tokenizer: Any, items: Sequence[dict[str, str]], limits: RelayLimits,
            teacher: TeacherFn, batch: int = 8) -> list[Answer]:
    out: list[Answer] = []
    for start in range(0, len(items), batch):
        chunk = [Answer(i["question"], tuple(tokenizer.encode(chatml(math_user(i["question"])), add_special_tokens=False)))
                 for i in items[start:start + batch]]
        relay.run(model, tokenizer, chunk, limits, teacher)
        out.extend(chunk)
    return out


def score(done: Sequence[Answer], golds: Sequence[str], grade: Grader) -> Scores:
    n = len(done)
    if n == 0 or n != len(golds):
        raise ValueError("one gold answer per answer, and at least one answer")
    total = sum(a.length for a in done)
    student_text = ["".join(s.text for s in a.segments if s.kind == "student") for a in done]
    return Scores(
        items=n,
        accuracy=sum(grade(tags.strip(a.text), g) for a, g in zip(done, golds)) / n,
        call_rate=sum(bool(tags.commands(t)) for t in student_text) / n,
        calls_per_answer=sum(len(tags.commands(t)) for t in student_text) / n,
        call_ratio=sum(teacher_tokens(a.segments) for a in done) / total if total else 0.0,
        malformed_rate=sum(bool(tags.malformed(t)) for t in student_text) / n,
    )
