"""An easy generated arithmetic word-problem set with known answers.

Kept apart from the six benchmarks (which are test sets and never trained on): tiny real models
score near zero on GSM8K, so evaluation needs problems where a 0.5B teacher beats a 135M
student, and training needs problems with checkable answers. Deterministic per seed; the
`train` and `test` splits are disjoint by construction (a problem's split is decided by a hash
of its text), so a training run can never see an evaluation item.

    python -m relaytools.arith --split test --count 200 --seed 0 > data/arith/test.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from typing import Callable, Iterator

Problem = tuple[str, int]

NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena"]
THINGS = ["apples", "pencils", "marbles", "stickers", "books", "coins", "cards", "shells"]


def _add(r: random.Random) -> Problem:
    a, b = r.randint(12, 89), r.randint(12, 89)
    return f"What is {a} + {b}?", a + b


def _sub(r: random.Random) -> Problem:
    a = r.randint(40, 99)
    b = r.randint(11, a - 5)
    return f"What is {a} - {b}?", a - b


def _mul(r: random.Random) -> Problem:
    a, b = r.randint(3, 12), r.randint(3, 15)
    return f"What is {a} times {b}?", a * b


def _buy(r: random.Random) -> Problem:
    n, t = r.choice(NAMES), r.choice(THINGS)
    a, b = r.randint(5, 40), r.randint(3, 30)
    return f"{n} has {a} {t} and buys {b} more. How many {t} does {n} have now?", a + b


def _give(r: random.Random) -> Problem:
    n, m, t = *r.sample(NAMES, 2), r.choice(THINGS)
    a = r.randint(20, 60)
    b = r.randint(3, a - 4)
    return f"{n} has {a} {t} and gives {b} of them to {m}. How many {t} does {n} have left?", a - b


def _boxes(r: random.Random) -> Problem:
    t = r.choice(THINGS)
    a, b = r.randint(3, 9), r.randint(4, 12)
    return f"A box holds {b} {t}. How many {t} are in {a} boxes?", a * b


def _two_step(r: random.Random) -> Problem:
    n, t = r.choice(NAMES), r.choice(THINGS)
    a, b, c = r.randint(2, 6), r.randint(3, 9), r.randint(2, 15)
    return (f"{n} buys {a} bags of {t} with {b} {t} in each bag, then finds {c} more. "
            f"How many {t} does {n} have?"), a * b + c


KINDS: tuple[Callable[[random.Random], Problem], ...] = (_add, _sub, _mul, _buy, _give, _boxes, _two_step)
SPLITS = ("train", "test")


def split_of(question: str) -> str:
    """One in five problems is a test problem, the rest train; fixed by the text alone."""
    return "test" if hashlib.sha256(question.encode()).digest()[0] % 5 == 0 else "train"


def problems(split: str, seed: int = 0) -> Iterator[dict]:
    """Distinct problems of one split, in a deterministic order."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    r = random.Random(f"relay-arith/{seed}")
    seen: set[str] = set()
    misses = 0
    while misses < 10_000:
        question, answer = r.choice(KINDS)(r)
        if question in seen or split_of(question) != split:
            misses += 1
            continue
        misses = 0
        seen.add(question)
        yield {"question": question, "answer": str(answer)}


def generate(split: str, count: int, seed: int = 0) -> list[dict]:
    out = []
    for item in problems(split, seed):
        out.append(item)
        if len(out) == count:
            return out
    raise ValueError(f"only {len(out)} distinct {split} problems for seed {seed}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="relaytools.arith", description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for item in generate(args.split, args.count, args.seed):
        sys.stdout.write(json.dumps(item) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
