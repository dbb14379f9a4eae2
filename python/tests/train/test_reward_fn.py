"""The reward as TRL calls it: graded per completion, judged within each question's group."""

import pytest

from relaytools.train import grading
from relaytools.train.reward_fn import make_reward


def test_trl_reward_groups_by_qid_and_grades_without_tags():
    reward = make_reward(grading.grader("math-verify"))
    logged = {}
    completions = [
        [{"role": "assistant", "content": "23 + 45 = \\boxed{68}"}],  # q1: right alone
        [{"role": "assistant", "content": "\\boxed{60}"}],  # q1: wrong alone
        [{"role": "assistant", "content": "so <call>4</call> 68, \\boxed{68}"}],  # q2: right with a call
        [{"role": "assistant", "content": "it is 5 <call>68</call>"}],  # q2: wrong; the tag's 68 is not an answer
    ]
    ids = [[0] * 10, [0] * 10, [0] * 20, [0] * 10]
    rewards = reward(prompts=[None] * 4, completions=completions, completion_ids=ids, answer=["68", "68", "68", "68"],
                     qid=["q1", "q1", "q2", "q2"], calls=[0, 0, 1, 1], requested=[0, 0, 4, 5],
                     log_metric=lambda name, value: logged.__setitem__(name, value))
    # q1 is solvable alone: 1.5 and 0; q2 teacher-dependent: 1 - 4/20 and wrong-with-call 0.
    assert rewards == pytest.approx([1.5, 0.0, 0.8, 0.0])
    assert logged["relay/call_rate"] == 0.5 and logged["relay/accuracy"] == 0.5
