"""Run profiles: how much of each stage. `smoke` is the CPU check in `npm test` (minutes);
`long` is the committed report's run (well under an hour on two shared cores); the paper's
GRPO values (G = 8, T = 1.0, β = 0.01, lr = 1e-6) are the defaults of GrpoSettings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .grpo import GrpoSettings
from .insertion import CallPlan
from .relay import RelayLimits
from .sft import SftSettings


@dataclass(frozen=True)
class Profile:
    name: str
    warmup_questions: int
    rl_questions: int
    heldout_questions: int
    filter_k: int
    filter_threshold: float = 0.5
    teacher_answer_tokens: int = 160
    teacher_temperature: float = 0.7
    student_temperature: float = 0.7  # the vanilla student's warm-up samples
    grader: str = "math-verify"
    seed: int = 0
    heldout_seed: int = 1
    plan: CallPlan = field(default_factory=CallPlan)
    warmup_limits: RelayLimits = field(default_factory=lambda: RelayLimits(max_tokens=160, max_span=32))
    rl_limits: RelayLimits = field(default_factory=lambda: RelayLimits(max_tokens=160, max_span=32))
    eval_limits: RelayLimits = field(default_factory=lambda: RelayLimits(max_tokens=160, max_span=32, temperature=0.0))
    sft: SftSettings = field(default_factory=SftSettings)
    grpo: GrpoSettings = field(default_factory=GrpoSettings)
    evaluate: bool = True

    def data_part(self) -> dict[str, object]:
        """What the cached data depends on."""
        keys = ("warmup_questions", "rl_questions", "filter_k", "teacher_answer_tokens", "teacher_temperature",
                "student_temperature", "grader", "seed", "plan", "warmup_limits")
        return {k: dataclasses.asdict(self)[k] for k in keys}


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke", warmup_questions=12, rl_questions=3, heldout_questions=4, filter_k=2,
        teacher_answer_tokens=128,
        plan=CallPlan(count_weights=(0.0, 0.5, 0.5), n_min=4, n_max=12),
        warmup_limits=RelayLimits(max_tokens=56, max_span=12),
        rl_limits=RelayLimits(max_tokens=48, max_span=12),
        sft=SftSettings(steps=16, batch_size=2, learning_rate=3e-4, max_length=160),
        grpo=GrpoSettings(group_size=4, steps=2, learning_rate=1e-6),
        evaluate=False,
    ),
    "long": Profile(
        name="long", warmup_questions=32, rl_questions=8, heldout_questions=24, filter_k=4,
        teacher_answer_tokens=128,
        plan=CallPlan(count_weights=(0.1, 0.5, 0.4), n_min=4, n_max=16),
        warmup_limits=RelayLimits(max_tokens=128, max_span=16),
        rl_limits=RelayLimits(max_tokens=96, max_span=16),
        eval_limits=RelayLimits(max_tokens=128, max_span=16, temperature=0.0),
        sft=SftSettings(steps=48, batch_size=2, learning_rate=1e-4, max_length=256),
        # G = 4 and 10x the paper's learning rate: 12 steps at the paper's 1e-6 would not move a 135M model.
        grpo=GrpoSettings(group_size=4, steps=12, learning_rate=1e-5),
    ),
}


def profile(name: str, **overrides: Any) -> Profile:
    try:
        base = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; one of {sorted(PROFILES)}") from None
    sft = {k[4:]: v for k, v in overrides.items() if k.startswith("sft_") and v is not None}
    grpo = {k[5:]: v for k, v in overrides.items() if k.startswith("grpo_") and v is not None}
    rest = {k: v for k, v in overrides.items() if not k.startswith(("sft_", "grpo_")) and v is not None}
    return dataclasses.replace(base, sft=dataclasses.replace(base.sft, **sft),
                               grpo=dataclasses.replace(base.grpo, **grpo), **rest)
