"""Export a trained checkpoint to GGUF with llama.cpp's own converter (convert_hf_to_gguf.py
from the pinned llama-cpp-python source distribution; scripts/llama-converter.sh fetches it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class ExportError(Exception):
    """The converter failed: the message carries the end of its output."""


def to_gguf(checkpoint: Path, converter: Path, out: Path, outtype: str = "f16") -> Path:
    if not converter.is_file():
        raise ExportError(f"no converter at {converter} (scripts/llama-converter.sh prints its path)")
    if not (checkpoint / "config.json").is_file():
        raise ExportError(f"{checkpoint} is not a checkpoint directory (no config.json)")
    tmp = out.with_name(out.name + ".tmp")
    done = subprocess.run([sys.executable, str(converter), str(checkpoint), "--outfile", str(tmp),
                           "--outtype", outtype], capture_output=True, text=True)
    if done.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise ExportError(f"convert_hf_to_gguf.py failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
    tmp.rename(out)
    return out
