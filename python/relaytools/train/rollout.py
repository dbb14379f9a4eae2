"""TRL's `rollout_func` for GRPO: every completion is a relay answer.

TRL hands the rollout the batch's prompts (each question already repeated G times by its
sampler) and takes back, per prompt: the prompt ids, the completion ids, their sampling
log-probabilities, and an `env_mask` that TRL multiplies into the loss mask. The completion ids
are the student's as sampled with the teacher's spans between them; env_mask is 1 on the
student's tokens and 0 on the teacher's, so the policy is never trained to write what the
teacher wrote (the reference trains on them). Call counts go to the reward as extra fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import relay
from .prompts import chatml
from .relay import Answer, RelayLimits, Sampler, TeacherFn
from .segments import loss_mask

RolloutFunc = Callable[[list[Any], Any], dict[str, list[Any]]]


def user_text(prompt: Any) -> str:
    """The user turn of a TRL prompt (conversational or plain)."""
    if isinstance(prompt, str):
        return prompt
    return str(prompt[-1]["content"])


def question_of(user: str) -> str:
    """The question inside a math user turn (the teacher gets the question in its own format)."""
    from .prompts import MATH_SUFFIX

    return user[: -len(MATH_SUFFIX)].rstrip() if user.endswith(MATH_SUFFIX) else user


def to_trl(answers: list[Answer]) -> dict[str, list[Any]]:
    return {
        "prompt_ids": [list(a.prompt_ids) for a in answers],
        "completion_ids": [a.completion_ids for a in answers],
        "logprobs": [list(a.logprobs) for a in answers],
        "env_mask": [loss_mask(a.segments) for a in answers],
        "calls": [a.calls for a in answers],
        "requested": [a.requested for a in answers],
        "teacher_tokens": [sum(len(s.ids) for s in a.segments if s.kind == "teacher") for a in answers],
    }


def make_rollout(tokenizer: Any, limits: RelayLimits, teacher: TeacherFn,
                 sampler_for: Callable[[Any], Sampler] | None = None) -> RolloutFunc:
    """`sampler_for(trainer)` gives the student's sampler (default: transformers on the policy)."""

    def rollout(prompts: list[Any], trainer: Any) -> dict[str, list[Any]]:
        model = trainer.accelerator.unwrap_model(trainer.model)
        sampler = sampler_for(trainer) if sampler_for else None
        answers = []
        for prompt in prompts:
            user = user_text(prompt)
            ids = tokenizer.encode(chatml(user), add_special_tokens=False)
            answers.append(Answer(question=question_of(user), prompt_ids=tuple(ids)))
        relay.run(model, tokenizer, answers, limits, teacher, sampler)
        return to_trl(answers)

    return rollout
