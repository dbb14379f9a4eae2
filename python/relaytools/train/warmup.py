"""Warm-up data: the vanilla student's own answers with real calls and the teacher's real text.

For each question the student samples its answer (it never calls on its own). At the planned
number of calls, its answer is cut at a sampled token boundary, `<call>n</call>` is written with
a sampled n, the teacher continues the stripped answer for n tokens, and the student resumes
from there (sampled again, so what follows the teacher's span is really the student's). Records
are chat-format JSONL (TRL's conversational prompt/completion) plus the labelled segments the
loss mask is built from.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import insertion, tags
from .generation import sample
from .insertion import CallPlan
from .prompts import chatml, math_user
from .relay import Answer, RelayLimits, TeacherFn, teacher_span
from .segments import Segment


@dataclass
class Planned:
    answer: Answer
    gold: str
    qid: str
    calls_left: int
    requests: list[int] = field(default_factory=list)
    cuts: list[int] = field(default_factory=list)  # cut position inside each cut segment


def record(p: Planned) -> dict[str, object]:
    a = p.answer
    return {
        "qid": p.qid, "question": a.question, "answer": p.gold,
        "prompt": [{"role": "user", "content": math_user(a.question)}],
        "completion": [{"role": "assistant", "content": a.text}],
        "segments": [s.as_json() for s in a.segments],
        "calls": p.requests, "cuts": p.cuts, "finish": a.finish,
    }


def build(model: Any, tokenizer: Any, items: Sequence[dict[str, str]], plan: CallPlan, limits: RelayLimits,
          teacher: TeacherFn, rng: random.Random, student_temperature: float = 0.7) -> list[dict[str, object]]:
    planned = []
    for item in items:
        ids = tuple(tokenizer.encode(chatml(math_user(item["question"])), add_special_tokens=False))
        planned.append(Planned(Answer(item["question"], ids), item["answer"], item.get("qid", item["question"]),
                               insertion.call_count(rng, plan)))
    while True:
        active = [p for p in planned if p.answer.finish == "running" and p.answer.length < limits.max_tokens]
        if not active:
            break
        got = sample(model, tokenizer, [list(p.answer.prompt_ids) + p.answer.completion_ids for p in active],
                     [limits.max_tokens - p.answer.length for p in active],
                     temperature=student_temperature, stop_at_call=False)
        for p, s in zip(active, got):
            a = p.answer
            pieces = [tokenizer.decode([t]) for t in s.ids] if p.calls_left > 0 else None
            cut = insertion.cut_at(rng, len(s.ids), plan, s.stop == "eos", pieces) if pieces is not None else None
            if cut is None:
                a.segments.append(Segment("student", s.ids, tokenizer.decode(s.ids)))
                a.finish = "eos" if s.stop == "eos" else "length"
                continue
            n = insertion.span_tokens(rng, plan)
            own = s.ids[:cut]
            command = tuple(tokenizer.encode(tags.render(n), add_special_tokens=False))
            a.segments.append(Segment("student", own + command, tokenizer.decode(own + command)))
            p.calls_left -= 1
            p.requests.append(n)
            p.cuts.append(cut)
            teacher_span(a, n, limits, tokenizer, teacher)
    for p in planned:
        if p.answer.finish == "running":
            p.answer.finish = "length"
    return [record(p) for p in planned]


def sft_example(rec: dict[str, Any], tokenizer: Any) -> dict[str, list[int]]:
    """The pre-tokenized example SFTTrainer trains on: the loss covers the student's tokens only."""
    from .segments import flatten, loss_mask

    segments = [Segment.from_json(s) for s in rec["segments"]]
    prompt = tokenizer.encode(chatml(rec["prompt"][0]["content"]), add_special_tokens=False)
    return {"input_ids": prompt + flatten(segments), "completion_mask": [0] * len(prompt) + loss_mask(segments)}
