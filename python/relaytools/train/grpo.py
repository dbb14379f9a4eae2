"""GRPO with TRL's GRPOTrainer: relay rollouts (rollout.py), teacher tokens masked by env_mask,
the difficulty-aware reward judged per question group (reward_fn.py). Defaults are the paper's:
G = 8, temperature 1.0, KL β = 0.01, learning rate 1e-6."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .grading import Grader
from .prompts import math_user
from .relay import RelayLimits, TeacherFn
from .reward_fn import make_reward
from .rollout import make_rollout


@dataclass(frozen=True)
class GrpoSettings:
    group_size: int = 8  # G
    beta: float = 0.01
    temperature: float = 1.0
    learning_rate: float = 1e-6
    questions_per_step: int = 1
    steps: int = 100
    seed: int = 0


def dataset(items: list[dict[str, str]]) -> Any:
    from datasets import Dataset

    return Dataset.from_list([{"prompt": [{"role": "user", "content": math_user(i["question"])}],
                               "answer": i["answer"], "qid": i.get("qid", i["question"])} for i in items])


def trainer(checkpoint: Path, tokenizer: Any, items: list[dict[str, str]], settings: GrpoSettings,
            limits: RelayLimits, teacher: TeacherFn, grade: Grader, out: Path) -> Any:
    import os

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl import GRPOConfig, GRPOTrainer

    if limits.temperature != settings.temperature:
        raise ValueError("the rollout must sample at the temperature GRPO computes log-probabilities at")
    config = GRPOConfig(
        output_dir=str(out), max_steps=settings.steps, num_generations=settings.group_size,
        per_device_train_batch_size=settings.group_size * settings.questions_per_step,
        learning_rate=settings.learning_rate, beta=settings.beta, temperature=settings.temperature,
        max_completion_length=limits.max_tokens, lr_scheduler_type="constant", warmup_steps=0,
        logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, bf16=False, fp16=False,
        seed=settings.seed, dataloader_num_workers=0, disable_tqdm=True, log_completions=False)
    return GRPOTrainer(model=str(checkpoint), reward_funcs=[make_reward(grade)], args=config,
                       train_dataset=dataset(items), processing_class=tokenizer,
                       rollout_func=make_rollout(tokenizer, limits, teacher))


def train(checkpoint: Path, tokenizer: Any, items: list[dict[str, str]], settings: GrpoSettings,
          limits: RelayLimits, teacher: TeacherFn, grade: Grader, out: Path) -> list[dict[str, float]]:
    t = trainer(checkpoint, tokenizer, items, settings, limits, teacher, grade, out)
    t.train()
    t.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    return [dict(e) for e in t.state.log_history]
