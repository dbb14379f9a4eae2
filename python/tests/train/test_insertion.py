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
