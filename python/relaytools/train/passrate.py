"""The teacher pass-rate filter: keep the questions the teacher can solve.

GRPO learns when to call from questions where calling helps; a question the teacher cannot
solve either only teaches noise. Each question gets k teacher answers, each graded; the pass
rate is recorded with the question, and questions at or above the threshold are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .grading import Grader


@dataclass(frozen=True)
class Rated:
    question: str
    answer: str
    passes: int
    samples: int

    @property
    def pass_rate(self) -> float:
        return self.passes / self.samples

    def as_json(self) -> dict[str, object]:
        return {"question": self.question, "answer": self.answer, "passes": self.passes,
                "samples": self.samples, "pass_rate": self.pass_rate}


def rate(question: str, answer: str, replies: list[str], grade: Grader) -> Rated:
    """Grade k teacher replies to one question."""
    if not replies:
        raise ValueError(f"no teacher replies for {question!r}: k must be at least 1")
    return Rated(question, answer, sum(grade(r, answer) for r in replies), len(replies))


def keep(rated: Rated, threshold: float) -> bool:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"the pass-rate threshold must be in [0, 1], not {threshold}")
    return rated.pass_rate >= threshold


def rate_all(items: Iterable[dict[str, str]], solve: Callable[[str, int], list[str]], k: int,
             grade: Grader) -> Iterator[Rated]:
    """Rate every item; `solve(question, k)` returns k teacher answers."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    for item in items:
        yield rate(item["question"], item["answer"], solve(item["question"], k), grade)
