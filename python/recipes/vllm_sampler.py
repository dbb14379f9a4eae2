"""The student's sampler through TRL's vLLM server (GPU recipe; untested here: no GPU, no vLLM).

Token ids in, token ids out: vLLM continues each context's ids and stops at `</call>` (kept in
the output), end of turn, or the context's own limit; the sampled ids and their log-probabilities
are returned as vLLM produced them.
"""

from __future__ import annotations

from typing import Any

from relaytools.train.generation import Sampled
from relaytools.train.relay import Sampler


def sampler_for(trainer: Any) -> Sampler:
    client = trainer.vllm_generation.vllm_client
    eos = trainer.processing_class.convert_tokens_to_ids("<|im_end|>")

    def sampler(contexts: list[list[int]], room: list[int], temperature: float) -> list[Sampled]:
        out = []
        for ids, limit in zip(contexts, room):  # one request per context: each has its own limit
            reply = client.generate(prompts=[ids], max_tokens=limit, temperature=temperature, logprobs=0,
                                    generation_kwargs={"stop": ["</call>"], "include_stop_str_in_output": True})
            new, logps = reply["completion_ids"][0], [lp[0] for lp in reply["logprobs"][0]]
            text = trainer.processing_class.decode(new)
            stop = "eos" if new and new[-1] == eos else "call" if text.endswith("</call>") else "length"
            out.append(Sampled(tuple(new), tuple(logps), stop))
        return out

    return sampler
