"""Sampling the student: a batch of contexts, each continued until end of turn, `</call>`, or
its own token limit. The ids come back exactly as sampled, with their sampling log-probabilities;
nothing is decoded and re-encoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .tags import CLOSE

Stop = Literal["eos", "call", "length"]


@dataclass(frozen=True)
class Sampled:
    ids: tuple[int, ...]
    logprobs: tuple[float, ...]
    stop: Stop


def _cut(ids: list[int], tokenizer: Any, eos: int, stop_at_call: bool, limit: int) -> tuple[int, Stop]:
    """How many of the sampled ids belong to this turn, and why it stopped."""
    text = ""
    for i, token in enumerate(ids[:limit]):
        if token == eos:
            return i + 1, "eos"
        if stop_at_call:
            text += tokenizer.decode([token])
            if CLOSE in text[-(len(CLOSE) + 16):]:
                return i + 1, "call"
    return min(limit, len(ids)), "length"


def sample(model: Any, tokenizer: Any, contexts: Sequence[Sequence[int]], limits: Sequence[int], *,
           temperature: float, stop_at_call: bool) -> list[Sampled]:
    """Continue every context once; `limits[i]` caps context i's new tokens."""
    import torch
    from transformers import GenerationConfig

    if len(contexts) != len(limits) or not contexts:
        raise ValueError("one limit per context, and at least one context")
    eos = int(tokenizer.convert_tokens_to_ids("<|im_end|>")) if "<|im_end|>" in tokenizer.get_vocab() \
        else int(tokenizer.eos_token_id)
    pad = int(tokenizer.pad_token_id)
    width = max(len(c) for c in contexts)
    input_ids = torch.tensor([[pad] * (width - len(c)) + list(c) for c in contexts])
    attention = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in contexts])
    greedy = temperature <= 0
    config = GenerationConfig(
        max_new_tokens=max(limits), do_sample=not greedy, temperature=None if greedy else temperature,
        top_k=None, top_p=None, eos_token_id=eos, pad_token_id=pad,
        stop_strings=[CLOSE] if stop_at_call else None,
        return_dict_in_generate=True, output_scores=True)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model.generate(input_ids=input_ids, attention_mask=attention, generation_config=config,
                             tokenizer=tokenizer)
    if was_training:
        model.train()
    new = out.sequences[:, width:]
    # scores are the processed logits each token was sampled from (temperature applied).
    logps = torch.stack([torch.log_softmax(s.float(), dim=-1) for s in out.scores], dim=1)
    chosen = torch.gather(logps, 2, new[:, : logps.shape[1]].unsqueeze(-1)).squeeze(-1)
    results = []
    for row, limit in enumerate(limits):
        ids = new[row].tolist()
        keep, stop = _cut(ids, tokenizer, eos, stop_at_call, limit)
        results.append(Sampled(tuple(ids[:keep]), tuple(chosen[row, :keep].tolist()), stop))
    return results
