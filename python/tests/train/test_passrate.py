"""The teacher pass-rate filter, graded with the project's graders."""

import pytest

from relaytools.train import grading, passrate


def test_pass_rate_is_recorded_and_the_threshold_keeps_half_or_better():
    grade = grading.grader("math-verify")
    replies = ["so \\boxed{42}", "the answer is \\boxed{41}", "\\boxed{42}", "I think 40"]
    rated = passrate.rate("What is 40 + 2?", "42", replies, grade)
    assert (rated.passes, rated.samples, rated.pass_rate) == (2, 4, 0.5)
    assert rated.as_json()["pass_rate"] == 0.5
    assert passrate.keep(rated, 0.5)
    assert not passrate.keep(rated, 0.75)
    assert passrate.keep(passrate.rate("q", "7", ["\\boxed{7}"], grade), 1.0)
    assert not passrate.keep(passrate.rate("q", "7", ["\\boxed{8}", "7?"], grading.numeric), 0.5 + 1e-9)


def test_rate_all_asks_k_answers_per_question():
    asked = []

    def solve(question, k):
        asked.append((question, k))
        return ["\\boxed{5}"] * k

    items = [{"question": "q1", "answer": "5"}, {"question": "q2", "answer": "6"}]
    rated = list(passrate.rate_all(items, solve, 3, grading.numeric))
    assert asked == [("q1", 3), ("q2", 3)]
    assert [r.pass_rate for r in rated] == [1.0, 0.0]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        passrate.keep(passrate.Rated("q", "1", 1, 1), 1.5)
    with pytest.raises(ValueError):
        list(passrate.rate_all([{"question": "q", "answer": "1"}], lambda q, k: [], 0, grading.numeric))
    with pytest.raises(ValueError):
        passrate.rate("q", "1", [], grading.numeric)


@pytest.mark.parametrize("answer, gold, right", [
    ("so 12 + 30 = 42. \\boxed{42}", "42", True), ("\\boxed{1,200}", "1200", True),
    ("it is 41", "42", False), ("no number", "42", False), ("\\boxed{42} or maybe 41", "42", True)])
def test_graders_agree_on_integer_answers(answer, gold, right):
    assert grading.numeric(answer, gold) is right
    assert grading.math_verify(answer, gold) is right
    with pytest.raises(ValueError):
        grading.grader("nope")
