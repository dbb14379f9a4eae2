"""The generated arithmetic set: right answers, deterministic, train and test disjoint."""

import re

import pytest

from relaytools import arith


def evaluate(question: str) -> int:
    """An independent reading of each template's arithmetic."""
    n = [int(x) for x in re.findall(r"\d+", question)]
    if "+" in question or "buys" in question and "bags" not in question:
        return n[0] + n[1]
    if " - " in question or "gives" in question:
        return n[0] - n[1]
    if "times" in question or "A box holds" in question:
        return n[0] * n[1]
    if "bags" in question:
        return n[0] * n[1] + n[2]
    raise AssertionError(f"unknown template: {question}")


def test_answers_are_right():
    for item in arith.generate("test", 300) + arith.generate("train", 300):
        assert int(item["answer"]) == evaluate(item["question"]), item


def test_deterministic_per_seed_and_different_across_seeds():
    assert arith.generate("test", 50, seed=1) == arith.generate("test", 50, seed=1)
    assert arith.generate("test", 50, seed=1) != arith.generate("test", 50, seed=2)


def test_train_and_test_never_share_a_problem():
    train = {i["question"] for s in range(3) for i in arith.generate("train", 500, seed=s)}
    test = {i["question"] for s in range(3) for i in arith.generate("test", 200, seed=s)}
    assert train and test and not train & test


def test_an_unknown_split_is_refused():
    with pytest.raises(ValueError, match="split must be one of"):
        arith.generate("dev", 1)
