"""The router trainer on a synthetic collection: what the product reads, trained as the CLI does."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from relaytools.router.train import forward, main

FEATURES = ["p_chosen", *(f"f{i}" for i in range(1, 6))]


def collection(path: Path, answers: int, seed: int, student: str = "s1") -> None:
    """Tokens whose label follows feature 0 (low = the teacher would write something else)."""
    r = random.Random(seed)
    lines = [{"type": "settings", "featureVersion": 1, "features": FEATURES, "topK": 20,
              "student": {"name": "s", "fingerprint": student}, "teacher": {"name": "t", "fingerprint": "t1"},
              "maxTokens": 64, "rolloutSpan": 16}]
    for a in range(answers):
        tokens = []
        for _ in range(30):
            f = [r.random() for _ in FEATURES]
            wrong = f[0] < 0.2
            tokens.append({"t": "x", "f": f, "y": 1 if wrong else 0, "pa": 0.01 if wrong else 0.9})
        lines.append({"type": "answer", "id": f"{seed}-{a}", "family": "arith", "question": "q", "gold": "1",
                      "text": "x", "correct": False, "extracted": None, "capped": False, "tokens": tokens})
        lines.append({"type": "rollout", "id": f"{seed}-{a}", "at": 0, "span": 16, "correct": tokens[0]["f"][0] < 0.2,
                      "extracted": None, "teacherTokens": 16, "generatedTokens": 40})
    path.write_text("".join(json.dumps(l) + "\n" for l in lines))


@pytest.mark.parametrize("model", ["logistic", "mlp"])
def test_trains_a_router_the_product_reads(tmp_path: Path, model: str) -> None:
    collection(tmp_path / "a.jsonl", 40, 1)
    collection(tmp_path / "b.jsonl", 40, 2)
    out = tmp_path / "router.json"
    assert main(["--out", str(out), "--model", model, "--label", "strong", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]) == 0
    router = json.loads(out.read_text())
    assert router["format"] == "relay-router" and router["version"] == 1
    assert router["features"] == FEATURES
    assert router["model"]["kind"] == model
    assert router["metrics"]["auc"][model] > 0.9, router["metrics"]
    # The exported weights reproduce the scores: low f0 scores high.
    class Scaler:
        mean_ = np.asarray(router["scaler"]["mean"])
        scale_ = np.asarray(router["scaler"]["scale"])
    x = np.asarray([[0.05, 0.5, 0.5, 0.5, 0.5, 0.5], [0.9, 0.5, 0.5, 0.5, 0.5, 0.5]])
    s = forward(router["model"], Scaler, x)
    assert s[0] > 0.5 > s[1]
    assert "held-out ROC AUC" in Path(f"{out}.md").read_text()


def test_refuses_collections_of_two_students(tmp_path: Path) -> None:
    collection(tmp_path / "a.jsonl", 5, 1)
    collection(tmp_path / "b.jsonl", 5, 2, student="s2")
    with pytest.raises(SystemExit, match="student differs"):
        main(["--out", str(tmp_path / "r.json"), str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")])
