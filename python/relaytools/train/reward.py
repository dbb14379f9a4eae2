"""The difficulty-aware relay reward, decided per question group.

Each question's G responses form one group. The group's case says how hard the question is for
this student: someone solved it without the teacher (solvable alone), only callers solved it
(teacher-dependent), or nobody did (unsolvable). The reference decides the case over the whole
batch, so one easy question in a batch changes every other question's rewards; here the case
is a function of one group only.

| case              | correct, no call | correct, called | wrong, no call | wrong, called |
|-------------------|------------------|-----------------|----------------|---------------|
| solvable alone    | 1.5              | 1 − ratio       | 0              | 0             |
| teacher-dependent | (cannot happen)  | 1 − ratio       | −1             | 0             |
| unsolvable        | (cannot happen)  | (cannot happen) | 0              | ratio         |

ratio = requested teacher tokens (each n clamped to the span limit) / response length (all its
tokens, student's and teacher's, counted with the student's tokenizer), at most 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import Enum


class Case(Enum):
    SOLVABLE_ALONE = "solvable-alone"
    TEACHER_DEPENDENT = "teacher-dependent"
    UNSOLVABLE = "unsolvable"


@dataclass(frozen=True)
class Outcome:
    """What the reward needs to know about one response."""

    correct: bool
    calls: int  # the student's calls sent to the teacher
    requested: int  # teacher tokens asked for, each n clamped
    length: int  # response tokens, student's and teacher's

    def __post_init__(self) -> None:
        if self.calls < 0 or self.requested < 0 or self.length < 0:
            raise ValueError(f"counts cannot be negative: {self}")
        if (self.calls == 0) != (self.requested == 0):
            raise ValueError(f"calls and requested tokens disagree: {self}")

    @property
    def called(self) -> bool:
        return self.calls > 0

    @property
    def ratio(self) -> float:
        if self.length == 0:
            return 0.0
        return min(1.0, self.requested / self.length)


def group_case(group: Sequence[Outcome]) -> Case:
    """The case of ONE question's group."""
    if not group:
        raise ValueError("a group needs at least one response")
    if any(o.correct and not o.called for o in group):
        return Case.SOLVABLE_ALONE
    if any(o.correct for o in group):
        return Case.TEACHER_DEPENDENT
    return Case.UNSOLVABLE


def reward(outcome: Outcome, case: Case) -> float:
    """One response's reward under its group's case (the table above)."""
    if case is Case.SOLVABLE_ALONE:
        if not outcome.correct:
            return 0.0
        return 1.5 if not outcome.called else 1.0 - outcome.ratio
    if case is Case.TEACHER_DEPENDENT:
        if outcome.correct:
            return 1.0 - outcome.ratio
        return 0.0 if outcome.called else -1.0
    return outcome.ratio if outcome.called else 0.0


def group_rewards(group: Sequence[Outcome]) -> list[float]:
    """Rewards of one question's group, in order."""
    case = group_case(group)
    return [reward(o, case) for o in group]


def batch_rewards(outcomes: Sequence[Outcome], groups: Sequence[Hashable]) -> list[float]:
    """Rewards of a batch: each response judged within its own question's group.

    `groups[i]` names response i's question (any key); groups need not be contiguous.
    """
    if len(outcomes) != len(groups):
        raise ValueError(f"{len(outcomes)} outcomes but {len(groups)} group keys")
    members: dict[Hashable, list[int]] = {}
    for i, key in enumerate(groups):
        members.setdefault(key, []).append(i)
    out = [0.0] * len(outcomes)
    for indices in members.values():
        for i, r in zip(indices, group_rewards([outcomes[i] for i in indices])):
            out[i] = r
    return out
