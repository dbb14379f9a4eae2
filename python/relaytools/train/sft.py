"""The warm-up: TRL's SFTTrainer on the warm-up records, loss on the student's tokens only.

The records are tokenized here (segment by segment, as the relay builds the context) into
`input_ids` plus a `completion_mask` that is 0 on the prompt and on the teacher's spans;
SFTTrainer turns that mask into labels (-100 where 0) with `completion_only_loss=True`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .warmup import sft_example


@dataclass(frozen=True)
class SftSettings:
    steps: int = 200
    batch_size: int = 4
    learning_rate: float = 1e-5
    max_length: int = 512
    seed: int = 0


def dataset(records: list[dict[str, Any]], tokenizer: Any) -> Any:
    from datasets import Dataset

    return Dataset.from_list([sft_example(r, tokenizer) for r in records])


def trainer(model: Any, tokenizer: Any, records: list[dict[str, Any]], settings: SftSettings, out: Path) -> Any:
    from trl import SFTConfig, SFTTrainer

    config = SFTConfig(
        output_dir=str(out), max_steps=settings.steps, per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate, lr_scheduler_type="constant", warmup_steps=0,
        max_length=settings.max_length, completion_only_loss=True, logging_steps=1, save_strategy="no",
        report_to=[], use_cpu=True, bf16=False, fp16=False, seed=settings.seed, dataloader_num_workers=0,
        dataset_num_proc=None, disable_tqdm=True)
    return SFTTrainer(model=model, args=config, train_dataset=dataset(records, tokenizer), processing_class=tokenizer)


def train(model: Any, tokenizer: Any, records: list[dict[str, Any]], settings: SftSettings, out: Path) -> list[dict[str, float]]:
    """Train in place, save to `out`, return the per-step log."""
    t = trainer(model, tokenizer, records, settings, out)
    t.train()
    t.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    return [dict(e) for e in t.state.log_history]
