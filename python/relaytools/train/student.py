"""The student as a trainable transformers model, starting from its GGUF.

transformers reads the GGUF (`gguf_file=`) and dequantises it (here Q4_1, through the gguf
package's own dequantiser) into float32 weights. It keeps the result flagged as a GGUF-quantised
model, which it refuses to train or save, so the weights are moved into a plain model of the same
config (checked equal) and saved once as an ordinary checkpoint, cached by the GGUF's checksum.
Every stage then starts from a plain checkpoint directory.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path
from typing import Any


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def base_checkpoint(gguf: Path, cache: Path) -> Path:
    """The plain float32 checkpoint of a GGUF student (converted once, then reused)."""
    if not gguf.is_file():
        raise FileNotFoundError(f"student GGUF {gguf} does not exist")
    target = cache / f"base-{_checksum(gguf)[:16]}"
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    config = copy.deepcopy(loaded.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict(), strict=True)
    probe = torch.tensor([tokenizer.encode("What is 12 + 30?", add_special_tokens=False)])
    with torch.no_grad():
        if not torch.equal(plain(probe).logits, loaded(probe).logits):
            raise RuntimeError("the plain copy of the dequantised student does not match it")
    scratch = cache / f"{target.name}.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    plain.save_pretrained(str(scratch))
    tokenizer.save_pretrained(str(scratch))
    scratch.rename(target)
    return target


def load(checkpoint: Path) -> tuple[Any, Any]:
    """(model, tokenizer) from a checkpoint directory, ready for CPU training."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(checkpoint), dtype=torch.float32)
    return model, tokenizer
