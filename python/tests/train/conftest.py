"""Real parts for the training tests: SmolLM2 (its GGUF, dequantised once into a cached plain
checkpoint) and the real teacher, qwen2.5-coder-0.5b-instruct, behind llama-cpp-python's server.

The paths come from the environment scripts/test-python.sh sets (RELAY_STUDENT_GGUF,
RELAY_TEACHER_GGUF, RELAY_SERVER_PYTHON); a missing one fails with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the training tests through scripts/test-python.sh, which sets it")
    return value


@pytest.fixture(scope="session")
def base_checkpoint() -> Path:
    from relaytools.train import student

    cache = Path(os.environ.get("RELAY_TRAIN_CACHE", Path.home() / ".cache" / "relay" / "train"))
    return student.base_checkpoint(Path(_required("RELAY_STUDENT_GGUF")), cache)


@pytest.fixture(scope="session")
def smollm(base_checkpoint: Path):
    import torch

    from relaytools.train import student

    torch.set_num_threads(1)
    torch.manual_seed(0)
    return student.load(base_checkpoint)


@pytest.fixture(scope="session")
def teacher(tmp_path_factory: pytest.TempPathFactory):
    from relaytools.train.prompts import TeacherTemplate
    from relaytools.train.server import LlamaServer
    from relaytools.train.teacher import CompletionsClient, Teacher

    model = Path(_required("RELAY_TEACHER_GGUF"))
    log = tmp_path_factory.mktemp("teacher") / "server.log"
    with LlamaServer(_required("RELAY_SERVER_PYTHON"), model, log, threads=1, context=1024) as url:
        yield Teacher(CompletionsClient(url), TeacherTemplate.from_gguf(model))
