"""The repository-context infill set (relaytools.repo_line): deterministic, each masked line uses a
definition from another module of its package, carried as context, and the shipped file is what
the script makes."""

import ast
import importlib.metadata
import json
import sys
import textwrap
from pathlib import Path

import pytest

from relaytools import repo_line

DATA = Path(__file__).resolve().parents[2] / "data" / "repo-line"


def shipped() -> list[dict]:
    return [json.loads(line) for line in (DATA / "test.jsonl").read_text(encoding="utf-8").splitlines()]


def installed_as_shipped() -> bool:
    versions = {item["package"]: item["version"] for item in shipped()}
    return all(importlib.metadata.version(dist) == versions.get(dist) for _, dist in repo_line.PACKAGES)


needs_pins = pytest.mark.skipif(not installed_as_shipped(), reason="the installed pytest/packaging are not the versions the set was made from")


def test_same_seed_same_items_another_seed_others():
    a = repo_line.generate(40, 0)
    assert a == repo_line.generate(40, 0)
    assert [i["task_id"] for i in a] != [i["task_id"] for i in repo_line.generate(40, 1)]
    assert len({i["task_id"] for i in a}) == 40


@needs_pins
def test_the_shipped_set_is_what_the_script_makes(capsys):
    repo_line.main(["--count", "300", "--seed", "0"])
    assert capsys.readouterr().out == (DATA / "test.jsonl").read_text(encoding="utf-8")


@needs_pins
def test_every_item_masks_a_real_line_that_calls_a_definition_from_another_module():
    items = shipped()
    assert len(items) == 258
    per_file: dict[str, int] = {}
    modules = {package: repo_line.load_modules(package) for package, _ in repo_line.PACKAGES}
    for item in items:
        root = repo_line.package_root(item["path"].split("/")[0]).parent
        lines = (root / item["path"]).read_text(encoding="utf-8").split("\n")
        index = item["line"] - 1
        assert lines[index] == item["answer"]
        assert 15 <= len(item["answer"].strip()) <= 120 and not item["answer"].strip().startswith("#")
        # prompt + line + suffix is a contiguous window of the file, whole lines.
        window = item["prompt"] + item["answer"] + "\n" + item["suffix"]
        assert window in "\n".join(lines)
        assert item["prompt"] == "" or item["prompt"].endswith("\n")
        assert len(item["prompt"]) <= repo_line.PREFIX_CHARS and len(item["suffix"]) <= repo_line.SUFFIX_CHARS
        stmt = ast.parse(item["answer"].strip()).body
        assert len(stmt) == 1
        called = {n.id for n in ast.walk(stmt[0]) if isinstance(n, ast.Name)} | {n.attr for n in ast.walk(stmt[0]) if isinstance(n, ast.Attribute)}
        assert item["context"]
        package = item["path"].split("/")[0]
        module = next(m for m in modules[package].values() if m.rel == item["path"])
        names, aliases = repo_line.imported_names(module, modules[package])
        # What the line's names stand for, as imported into its module (`x as y`, `module.Name`).
        meant = {(d.module, d.symbol) for local, d in names.items() if local in called}
        meant |= {(m.name, attr) for local, m in aliases.items() if local in called for attr in called if attr in m.defs}
        for chunk in item["context"]:
            # Defined in another file of the package, at the chunk's first line, and used by the line.
            assert chunk["name"] != item["path"] and chunk["name"].split("/")[0] == item["path"].split("/")[0]
            defining = next(m for m in modules[package].values() if m.rel == chunk["name"])
            assert (defining.name, chunk["symbol"]) in meant
            other = (root / chunk["name"]).read_text(encoding="utf-8").split("\n")
            assert "\n".join(other[chunk["line"] : chunk["line"] + chunk["text"].count("\n") + 1]) == chunk["text"]
            tree = ast.parse("\n".join(other))
            assert chunk["symbol"] in repo_line.top_level_defs("m", tree)
            # The answer is never handed over by the context itself.
            assert item["answer"].strip() not in {line.strip() for line in chunk["text"].split("\n")}
            assert chunk["text"].count("\n") < repo_line.CHUNK_LINES and len(chunk["text"]) <= repo_line.CHUNK_CHARS
        per_file[item["path"]] = per_file.get(item["path"], 0) + 1
    assert max(per_file.values()) <= repo_line.PER_FILE


def make_package(tmp_path, monkeypatch, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = tmp_path / "toypkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in [m for m in sys.modules if m == "toypkg" or m.startswith("toypkg.")]:
        monkeypatch.delitem(sys.modules, mod)


def test_the_selection_rule_on_a_small_package(tmp_path, monkeypatch):
    make_package(
        tmp_path,
        monkeypatch,
        {
            "__init__.py": "",
            "b.py": """
                LIMIT = 10

                def helper(x, scale):
                    return x * scale

                class Thing:
                    def go(self):
                        return 1
            """,
            "a.py": """
                from .b import helper, LIMIT
                from toypkg import b as bmod
                from toypkg.b import Thing

                def f(value):
                    result = helper(value, scale=2)
                    other: Thing
                    if helper(value, 1):
                        pass
                    n = len(str(value)) + LIMIT
                    thing = bmod.Thing().go()  # a comment
                    made = bmod.Thing().go()
                    local = str(value).strip()
                    return Thing.go(made)
            """,
        },
    )
    monkeypatch.setattr(importlib.metadata, "version", lambda dist: "0.0")
    items = repo_line.generate(10, 0, (("toypkg", "toypkg-dist"),))
    got = sorted((i["answer"].strip(), [c["symbol"] for c in i["context"]]) for i in items)
    # Calls and attribute access of names defined in b count (also through a module alias); a bare
    # use (LIMIT + ...), an annotation, a compound statement's header, a line with a comment and a
    # line using nothing from b do not.
    assert got == [
        ("made = bmod.Thing().go()", ["Thing"]),
        ("result = helper(value, scale=2)", ["helper"]),
        ("return Thing.go(made)", ["Thing"]),
    ]
    by_answer = {i["answer"].strip(): i for i in items}
    item = by_answer["result = helper(value, scale=2)"]
    assert item["context"][0] == {"name": "toypkg/b.py", "line": 3, "symbol": "helper", "text": "def helper(x, scale):\n    return x * scale"}
    assert item["path"] == "toypkg/a.py" and item["package"] == "toypkg-dist" and item["version"] == "0.0"
    assert item["prompt"].endswith("def f(value):\n") and item["answer"] == "    result = helper(value, scale=2)"


def test_a_line_the_context_would_hand_over_is_dropped(tmp_path, monkeypatch):
    make_package(
        tmp_path,
        monkeypatch,
        {
            "__init__.py": "",
            "b.py": """
                def helper(x):
                    return helper(x - 1) if x else 0
            """,
            "a.py": """
                from toypkg.b import helper

                def f(x):
                    return helper(x - 1) if x else 0

                def g(x):
                    return helper(x + 100) or 0
            """,
        },
    )
    monkeypatch.setattr(importlib.metadata, "version", lambda dist: "0.0")
    assert [i["answer"].strip() for i in repo_line.generate(10, 0, (("toypkg", "toypkg"),))] == ["return helper(x + 100) or 0"]
