"""The relay reward, case by case against the issue's table, and decided per question group."""

import pytest

from relaytools.train.reward import Case, Outcome, batch_rewards, group_case, group_rewards, reward

ALONE_RIGHT = Outcome(correct=True, calls=0, requested=0, length=100)
CALLED_RIGHT = Outcome(correct=True, calls=1, requested=20, length=100)  # ratio 0.2
ALONE_WRONG = Outcome(correct=False, calls=0, requested=0, length=100)
CALLED_WRONG = Outcome(correct=False, calls=2, requested=30, length=100)  # ratio 0.3


def test_ratio_is_requested_over_length_capped_at_one():
    assert CALLED_RIGHT.ratio == pytest.approx(0.2)
    assert Outcome(correct=False, calls=1, requested=64, length=10).ratio == 1.0
    assert ALONE_RIGHT.ratio == 0.0


@pytest.mark.parametrize("outcome, expected", [
    (ALONE_RIGHT, 1.5), (CALLED_RIGHT, 0.8), (ALONE_WRONG, 0.0), (CALLED_WRONG, 0.0)])
def test_solvable_alone(outcome, expected):
    assert reward(outcome, Case.SOLVABLE_ALONE) == pytest.approx(expected)


@pytest.mark.parametrize("outcome, expected", [(CALLED_RIGHT, 0.8), (ALONE_WRONG, -1.0), (CALLED_WRONG, 0.0)])
def test_teacher_dependent(outcome, expected):
    assert reward(outcome, Case.TEACHER_DEPENDENT) == pytest.approx(expected)


@pytest.mark.parametrize("outcome, expected", [(ALONE_WRONG, 0.0), (CALLED_WRONG, 0.3)])
def test_unsolvable(outcome, expected):
    assert reward(outcome, Case.UNSOLVABLE) == pytest.approx(expected)


def test_case_of_a_group():
    assert group_case([ALONE_WRONG, ALONE_RIGHT, CALLED_RIGHT]) is Case.SOLVABLE_ALONE
    assert group_case([ALONE_WRONG, CALLED_RIGHT, CALLED_WRONG]) is Case.TEACHER_DEPENDENT
    assert group_case([ALONE_WRONG, CALLED_WRONG]) is Case.UNSOLVABLE
    with pytest.raises(ValueError):
        group_case([])


def test_group_rewards_follow_the_groups_case():
    assert group_rewards([ALONE_RIGHT, CALLED_RIGHT, ALONE_WRONG]) == pytest.approx([1.5, 0.8, 0.0])
    assert group_rewards([CALLED_RIGHT, ALONE_WRONG, CALLED_WRONG]) == pytest.approx([0.8, -1.0, 0.0])
    assert group_rewards([ALONE_WRONG, CALLED_WRONG]) == pytest.approx([0.0, 0.3])


def test_each_question_is_judged_within_its_own_group_not_the_batch():
    # Question a is easy (solved alone); question b only by a caller; c by nobody.
    outcomes = [ALONE_RIGHT, ALONE_WRONG, CALLED_RIGHT, ALONE_WRONG, ALONE_WRONG, CALLED_WRONG]
    groups = ["a", "a", "b", "b", "c", "c"]
    rewards = batch_rewards(outcomes, groups)
    # Per group: a is solvable alone, b teacher-dependent (not calling and wrong costs -1),
    # c unsolvable (calling earns its ratio).
    assert rewards == pytest.approx([1.5, 0.0, 0.8, -1.0, 0.0, 0.3])
    # The reference's batch-wise decision would call the whole batch "solvable alone"
    # (someone solved something alone) and give b's silent wrong answer 0 and c's caller 0.
    batch_wise = group_rewards(outcomes)
    assert batch_wise == pytest.approx([1.5, 0.0, 0.8, 0.0, 0.0, 0.0])
    assert rewards != pytest.approx(batch_wise)


def test_groups_need_not_be_contiguous():
    outcomes = [ALONE_WRONG, ALONE_RIGHT, ALONE_WRONG, CALLED_RIGHT]
    assert batch_rewards(outcomes, ["b", "a", "b", "b"]) == pytest.approx([-1.0, 1.5, -1.0, 0.8])


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        batch_rewards([ALONE_RIGHT], ["a", "b"])
    with pytest.raises(ValueError):
        Outcome(correct=True, calls=1, requested=0, length=10)
    with pytest.raises(ValueError):
        Outcome(correct=True, calls=0, requested=0, length=-1)
