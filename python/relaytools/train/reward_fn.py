"""The relay reward as a TRL reward function: grade each completion, then judge it within its
own question's group (`qid`, a dataset column) with the pure table in reward.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import tags
from .grading import Grader
from .reward import Outcome, batch_rewards


def completion_text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    return "".join(str(m["content"]) for m in completion)


def make_reward(grade: Grader) -> Callable[..., list[float]]:
    def relay_reward(prompts: list[Any], completions: list[Any], completion_ids: list[list[int]],
                     answer: list[str], qid: list[str], calls: list[int], requested: list[int],
                     **kwargs: Any) -> list[float]:
        # Graded without the command tags: their numbers are not part of the answer.
        outcomes = [Outcome(correct=grade(tags.strip(completion_text(c)), gold), calls=k, requested=r, length=len(ids))
                    for c, ids, gold, k, r in zip(completions, completion_ids, answer, calls, requested)]
        log = kwargs.get("log_metric")
        if callable(log):
            log("relay/call_rate", sum(o.called for o in outcomes) / len(outcomes))
            log("relay/accuracy", sum(o.correct for o in outcomes) / len(outcomes))
            log("relay/call_ratio", sum(o.ratio for o in outcomes) / len(outcomes))
        return batch_rewards(outcomes, qid)

    relay_reward.__name__ = "relay_reward"
    return relay_reward
