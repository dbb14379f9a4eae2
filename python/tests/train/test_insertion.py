"""Warm-up call placement: the number of calls, n, and cut positions are valid."""

import random

import pytest

from relaytools.train import insertion
from relaytools.train.insertion import CallPlan


@pytest.mark.parametrize("seed", range(20))
def test_cut_positions_are_strictly_inside_the_students_text(seed):
    rng = random.Random(seed)
    plan = CallPlan(min_prefix=2)
    for length in range(0, 40):
        for eos in (False, True):
            cut = insertion.cut_at(rng, length, plan, eos)
            last_real = length - 1 if eos else length  # the end-of-turn token is never replaced
            if cut is None:
                assert last_real - plan.min_prefix <= 0
            else:
                assert plan.min_prefix <= cut < last_real
                insertion.check_positions([cut], length, plan, eos)


def test_invalid_positions_are_caught():
    with pytest.raises(ValueError):
        insertion.check_positions([0], 10, CallPlan(), False)
    with pytest.raises(ValueError):
        insertion.check_positions([9], 10, CallPlan(), True)


def test_n_and_call_counts_are_sampled_within_the_plan():
    rng = random.Random(0)
    plan = CallPlan(count_weights=(0.0, 0.5, 0.5), n_min=4, n_max=9)
    ns = {insertion.span_tokens(rng, plan) for _ in range(500)}
    counts = {insertion.call_count(rng, plan) for _ in range(500)}
    assert ns == set(range(4, 10))
    assert counts == {1, 2}


@pytest.mark.parametrize("bad", [dict(count_weights=()), dict(count_weights=(0.0,)), dict(n_min=0),
                                 dict(n_min=5, n_max=4), dict(min_prefix=0)])
def test_bad_plans_are_refused(bad):
    with pytest.raises(ValueError):
        CallPlan(**bad)


def test_word_boundaries_keep_calls_out_of_words_and_numbers():
    # "The sum is 1234.5 apples\n" as a tokenizer might split it.
    pieces = ["The", " sum", " is", " 12", "34", ".", "5", " app", "les", "\n", "So"]
    inside = {4, 5, 6, 8}  # "12|34", "34|.", ".|5", "app|les"
    between = {1, 2, 3, 7, 9, 10}
    rng = random.Random(0)
    seen = {insertion.cut_at(rng, len(pieces), CallPlan(), False, pieces) for _ in range(400)}
    assert seen == between
    assert not seen & inside
    # The reference's behaviour is still there: any token.
    anywhere = {insertion.cut_at(rng, len(pieces), CallPlan(boundaries="tokens"), False, pieces) for _ in range(400)}
    assert anywhere == set(range(1, len(pieces)))


def test_a_segment_without_word_boundaries_still_gets_its_call():
    pieces = ["12", "34", "56", "78"]
    cut = insertion.cut_at(random.Random(1), len(pieces), CallPlan(), False, pieces)
    assert cut in range(1, 4)
    with pytest.raises(ValueError):
        insertion.cut_at(random.Random(1), 5, CallPlan(), False, pieces)
    with pytest.raises(ValueError):
        CallPlan(boundaries="sentences")
