"""Where the warm-up puts its calls, and how many tokens each asks for.

The vanilla student never writes `<call>`; the warm-up shows it the command by cutting its own
sampled answer at a token boundary, writing `<call>n</call>` there with a sampled n (the
reference writes `<call></call>` with no number), and letting the teacher continue for n
tokens. Cut points are strictly inside the segment: at least `min_prefix` of the student's own
tokens before it, and at least one token after it that the call replaces.

The reference cuts at any token. Cut there, a trained student learned to ask for help inside a
word or a number ("12<call>8</call>34"), which reads oddly and splits what the teacher must
continue; with `boundaries="words"` (the default) a cut falls before a word, a number or a new
line whenever the segment has such a place, and at any token only when it has none.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CallPlan:
    """Warm-up call sampling: P(number of calls) and the range of n."""

    count_weights: tuple[float, ...] = (0.1, 0.4, 0.3, 0.2)  # P(0), P(1), P(2), P(3) calls
    n_min: int = 4
    n_max: int = 32
    min_prefix: int = 1
    boundaries: str = "words"  # "words": before a word, number or line; "tokens": anywhere

    def __post_init__(self) -> None:
        if self.boundaries not in ("words", "tokens"):
            raise ValueError(f"boundaries must be 'words' or 'tokens', not {self.boundaries!r}")
        if not self.count_weights or any(w < 0 for w in self.count_weights) or sum(self.count_weights) <= 0:
            raise ValueError(f"count_weights must be non-negative and not all zero: {self.count_weights}")
        if not 1 <= self.n_min <= self.n_max:
            raise ValueError(f"need 1 <= n_min <= n_max, got {self.n_min}, {self.n_max}")
        if self.min_prefix < 1:
            raise ValueError(f"min_prefix must be at least 1, not {self.min_prefix}")


def call_count(rng: random.Random, plan: CallPlan) -> int:
    return rng.choices(range(len(plan.count_weights)), weights=plan.count_weights)[0]


def span_tokens(rng: random.Random, plan: CallPlan) -> int:
    return rng.randint(plan.n_min, plan.n_max)


def valid_cuts(length: int, plan: CallPlan, ends_with_eos: bool) -> range:
    """Token boundaries a call may be placed at in a segment of `length` tokens."""
    # The call must replace at least one real token: never after the end-of-turn token.
    last = length - 1 if ends_with_eos else length
    return range(plan.min_prefix, last)


def starts_a_word(before: str, piece: str) -> bool:
    """Whether a cut between the decoded tokens `before` and `piece` falls between words."""
    if not before or not piece:
        return False
    if piece[0].isspace() or before[-1] == "\n":
        return True
    # Inside a word or a number: letters or digits on both sides, or a digit's decimal point.
    return not (before[-1].isalnum() or piece[0].isalnum() or before[-1] in ".,")


def cut_at(rng: random.Random, length: int, plan: CallPlan, ends_with_eos: bool,
           pieces: Sequence[str] | None = None) -> int | None:
    """A sampled cut position, or None when the segment is too short for one.

    `pieces` (each token decoded alone) lets `plan.boundaries == "words"` keep the cut between
    words; without them, or where no such place is valid, every valid boundary is equally likely.
    """
    cuts = valid_cuts(length, plan, ends_with_eos)
    if len(cuts) == 0:
        return None
    if plan.boundaries == "words" and pieces is not None:
        if len(pieces) != length:
            raise ValueError(f"{len(pieces)} decoded pieces for a {length}-token segment")
        between = [c for c in cuts if starts_a_word(pieces[c - 1], pieces[c])]
        if between:
            return rng.choice(between)
    return rng.choice(cuts)


def check_positions(cuts: Sequence[int], length: int, plan: CallPlan, ends_with_eos: bool) -> None:
    """Raise unless every cut is a valid boundary (used by tests and when reading data back)."""
    allowed = valid_cuts(length, plan, ends_with_eos)
    bad = [c for c in cuts if c not in allowed]
    if bad:
        raise ValueError(f"cut positions {bad} outside {allowed.start}..{allowed.stop - 1} of a {length}-token segment")
