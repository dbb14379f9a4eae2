"""Warm-up data from the real student and the real teacher: the command carries its n, sits at
a valid position in the student's own tokens, the teacher's span follows it, and the loss mask
leaves the teacher's span out."""

import random

from relaytools.train import tags, warmup
from relaytools.train.insertion import CallPlan
from relaytools.train.prompts import chatml
from relaytools.train.relay import RelayLimits
from relaytools.train.segments import Segment


def test_warmup_records_have_real_calls_and_masked_teacher_spans(smollm, teacher):
    model, tokenizer = smollm
    plan = CallPlan(count_weights=(0.0, 1.0), n_min=4, n_max=8, min_prefix=2)
    limits = RelayLimits(max_tokens=40, max_span=8)
    items = [{"question": "What is 23 + 45?", "answer": "68", "qid": "a"},
             {"question": "Ben has 12 shells and buys 9 more. How many shells does Ben have now?", "answer": "21", "qid": "b"}]
    seeds = iter(range(100, 200))
    records = warmup.build(model, tokenizer, items, plan, limits,
                           lambda q, so_far, n: teacher.continue_answer(q, so_far, n, seed=next(seeds)),
                           random.Random(3))
    assert [r["qid"] for r in records] == ["a", "b"]
    for rec in records:
        assert rec["prompt"] == [{"role": "user", "content": rec["prompt"][0]["content"]}]
        assert rec["completion"][0]["role"] == "assistant"
        segments = [Segment.from_json(s) for s in rec["segments"]]
        assert len(rec["calls"]) == 1 and 4 <= rec["calls"][0] <= 8
        n, cut = rec["calls"][0], rec["cuts"][0]
        first, second = segments[0], segments[1]
        # The command with its n ends the student's first segment, after `cut` of its own tokens.
        command = tokenizer.encode(tags.render(n), add_special_tokens=False)
        assert first.kind == "student" and list(first.ids[cut:]) == command
        assert cut >= plan.min_prefix and tags.last_command(first.text) == n
        # The teacher's real continuation follows, at most n student tokens, never a command.
        assert second.kind == "teacher" and 0 < len(second.ids) <= n and "<call>" not in second.text
        # The whole completion is the concatenation, and the mask is 0 exactly on the teacher's span.
        example = warmup.sft_example(rec, tokenizer)
        prompt = tokenizer.encode(chatml(rec["prompt"][0]["content"]), add_special_tokens=False)
        assert example["input_ids"][: len(prompt)] == prompt
        mask = example["completion_mask"]
        assert mask[: len(prompt)] == [0] * len(prompt)
        start = len(prompt) + len(first.ids)
        assert mask[len(prompt): start] == [1] * len(first.ids)
        assert mask[start: start + len(second.ids)] == [0] * len(second.ids)
        assert example["input_ids"][start: start + len(second.ids)] == list(second.ids)
        assert mask[len(prompt):] == [1 if s.kind == "student" else 0 for s in segments for _ in s.ids]
        assert rec["completion"][0]["role"] == "assistant"
        segments = [Segment.from_json(s) for s in rec["segments"]]
        assert len(rec["calls"]) == 1 and 4 <= rec["calls"][0] <= 8
        n, cut = rec["calls"][0], rec["cuts"][0]
        first, second = segments[0], segments[1]
        # The command with its n ends the student's first segment, after `cut` of its own tokens.
        command = tokenizer.encode(tags.render(n), add_special_tokens=False)
        assert first.kind == "student" and list(first.ids[cut:]) == command
        assert cut >= plan.min_prefix and tags.last_command(first.text) == n
        # The teacher's real continuation follows, at most n student tokens, never a command.
        assert second.kind == "teacher" and 0 < len(second.ids) <= n and "<call>" not in second.text
        # The whole completion is the concatenation, and the mask is 0 exactly on the teacher's span.
        example = warmup.sft_example(rec, tokenizer)
        prompt = tokenizer.encode(chatml(rec["prompt"][0]["content"]), add_special_tokens=False)
        assert example["input_ids"][: len(prompt)] == prompt
        mask = example["completion_mask"]
        assert mask[: len(prompt)] == [0] * len(prompt)
        start = len(prompt) + len(first.ids)
        assert mask[len(prompt): start] == [1] * len(first.ids)
        assert mask[start: start + len(second.ids)] == [0] * len(second.ids)
        assert example["input_ids"][start: start + len(second.ids)] == list(second.ids)
        assert all(m == 1 for m, s in zip(mask[start + len(second.ids):],
                                          [t for seg in segments[2:] for t in [seg.kind] * len(seg.ids)]) if s == "student")
        assert rec["completion"][0]["content"] == "".join(s.text for s in segments)
