"""A repository-context single-line infill set, built from real multi-module Python packages.

Each item masks one line of a module A of an installed, pure-Python, permissively licensed
package, chosen so that completing it needs a definition from another module B of the same
package: the line calls (or takes an attribute of) a name that A imports from B and that B
defines at its top level (a function, a class or a constant). The item carries, as its
repository context, the source of those definitions in B (capped), which is what an editor's
definition provider hands an inline completion. With the context the model can see the
signature it has to call; without it, only the code around the line.

Per item: `prompt` (the code before the line: whole lines, at most PREFIX_CHARS characters,
ending with a newline), `suffix` (whole lines after it, at most SUFFIX_CHARS characters),
`answer` (the masked line, indentation included, no newline), `context` (one chunk per
definition used: `name`, the file relative to the site-packages folder; `line`, the 0-based first
line of the chunk there; `symbol`; `text`), and `task_id`, `package`, `version`, `path`, `line`
(1-based). The prefix and suffix are windows, like the editor's (which takes 6,000 characters
before the cursor and 1,500 after), made smaller so that a CPU run stays affordable.

Selection: every candidate line (a single-line simple statement, not an import, a docstring, a
bare annotation or a comment, 15 to 120 characters stripped, whose text is the whole statement and
which calls such a name, `Name(...)`, or takes an attribute of it, `Name.x`, also as
`module.Name(...)` through a module of the package imported under a name), then a seeded
shuffle, at most PER_FILE items per file, at most `--count` in all, written in the shuffled order
(so the first n items are a spread sample). Items whose answer is a line of one of their own
context chunks are dropped: there the context would hand over the answer itself.

Deterministic for the same installed package versions: same bytes out.

    PYTHONPATH=python "$(scripts/pyenv.sh tools)" -m relaytools.repo_line --count 300 --seed 0 > data/repo-line/test.jsonl
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import importlib.util
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# (import name, distribution name): pure-Python, permissively licensed, installed in the tools environment.
PACKAGES = (("_pytest", "pytest"), ("packaging", "packaging"))
PREFIX_CHARS = 2000
SUFFIX_CHARS = 500
CHUNK_LINES = 30
CHUNK_CHARS = 1500
MAX_CHUNKS = 3
PER_FILE = 8
MIN_LEN, MAX_LEN = 15, 120


@dataclass(frozen=True)
class Definition:
    module: str
    symbol: str
    start: int  # 0-based first line (decorators included)
    end: int  # 0-based last line


@dataclass
class Module:
    name: str
    path: Path
    rel: str  # relative to the site-packages folder, e.g. "_pytest/fixtures.py"
    source: str
    lines: list[str]
    tree: ast.Module
    defs: dict[str, Definition]


def package_root(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"repo_line: package {package} is not installed here")
    return Path(next(iter(spec.submodule_search_locations)))


def top_level_defs(name: str, tree: ast.Module) -> dict[str, Definition]:
    defs: dict[str, Definition] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            defs[node.name] = Definition(name, node.name, start, (node.end_lineno or node.lineno) - 1)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    defs[t.id] = Definition(name, t.id, node.lineno - 1, (node.end_lineno or node.lineno) - 1)
    return defs


def load_modules(package: str) -> dict[str, Module]:
    root = package_root(package)
    modules: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        rel_parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(rel_parts[:-1] if rel_parts[-1] == "__init__" else rel_parts)
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        modules[name] = Module(name, path, path.relative_to(root.parent).as_posix(), source, source.split("\n"), tree, top_level_defs(name, tree))
    return modules


def resolve_from(module: Module, node: ast.ImportFrom) -> str | None:
    """The absolute module name of a `from X import ...` inside `module` (relative ones resolved)."""
    if node.level == 0:
        return node.module
    is_package = module.path.name == "__init__.py"
    base = module.name.split(".")
    base = base if is_package else base[:-1]
    if node.level - 1 > 0:
        base = base[: -(node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_names(module: Module, modules: dict[str, Module]) -> tuple[dict[str, Definition], dict[str, Module]]:
    """Names A imports that another module B of the package defines; and module aliases of the package."""
    names: dict[str, Definition] = {}
    aliases: dict[str, Module] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve_from(module, node)
            if source is None:
                continue
            for alias in node.names:
                local = alias.asname or alias.name
                sub = f"{source}.{alias.name}"
                if sub in modules and sub != module.name:
                    aliases[local] = modules[sub]
                elif source in modules and source != module.name and alias.name in modules[source].defs:
                    names[local] = modules[source].defs[alias.name]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in modules and alias.name != module.name:
                    aliases[alias.asname] = modules[alias.name]
    return names, aliases


def used_definitions(stmt: ast.stmt, names: dict[str, Definition], aliases: dict[str, Module]) -> list[Definition]:
    """Definitions from other modules that the statement calls or takes an attribute of, in order of use."""
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(stmt):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    found: list[tuple[int, Definition]] = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and node.id in names:
            parent = parents.get(node)
            if (isinstance(parent, ast.Call) and parent.func is node) or (isinstance(parent, ast.Attribute) and parent.value is node):
                found.append((node.col_offset, names[node.id]))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            # `module.Name(...)` or `module.Name.attr`, Name defined in that module.
            target = aliases[node.value.id].defs.get(node.attr)
            parent = parents.get(node)
            if target is not None and ((isinstance(parent, ast.Call) and parent.func is node) or (isinstance(parent, ast.Attribute) and parent.value is node)):
                found.append((node.col_offset, target))
    seen: set[tuple[str, str]] = set()
    out: list[Definition] = []
    for _, d in sorted(found, key=lambda x: x[0]):
        if (d.module, d.symbol) not in seen:
            seen.add((d.module, d.symbol))
            out.append(d)
    return out


COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match)
if sys.version_info >= (3, 11):
    COMPOUND = COMPOUND + (ast.TryStar,)


def simple_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, COMPOUND):
            yield node


def chunk_of(module: Module, d: Definition) -> dict:
    lines = module.lines[d.start : min(d.end + 1, d.start + CHUNK_LINES)]
    kept: list[str] = []
    size = 0
    for line in lines:
        if kept and size + len(line) + 1 > CHUNK_CHARS:
            break
        kept.append(line)
        size += len(line) + 1
    return {"name": module.rel, "line": d.start, "symbol": d.symbol, "text": "\n".join(kept)}


def window_before(lines: list[str], index: int) -> str:
    kept: list[str] = []
    size = 0
    for line in reversed(lines[:index]):
        if size + len(line) + 1 > PREFIX_CHARS:
            break
        kept.append(line)
        size += len(line) + 1
    return "".join(line + "\n" for line in reversed(kept))


def window_after(lines: list[str], index: int) -> str:
    kept: list[str] = []
    size = 0
    for line in lines[index + 1 :]:
        if size + len(line) + 1 > SUFFIX_CHARS:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def candidates(package: str, dist: str) -> Iterator[dict]:
    modules = load_modules(package)
    version = importlib.metadata.version(dist)
    for name in sorted(modules):
        module = modules[name]
        names, aliases = imported_names(module, modules)
        if not names and not aliases:
            continue
        # Lines holding more than one statement (`a; b`) are never masked.
        starts: dict[int, int] = {}
        for node in ast.walk(module.tree):
            if isinstance(node, ast.stmt):
                starts[node.lineno] = starts.get(node.lineno, 0) + 1
        for stmt in sorted(simple_statements(module.tree), key=lambda s: s.lineno):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) or stmt.lineno != stmt.end_lineno or starts[stmt.lineno] != 1:
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            # A bare annotation (`x: T`) calls nothing.
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                continue
            index = stmt.lineno - 1
            line = module.lines[index]
            text = line.strip()
            if not (MIN_LEN <= len(text) <= MAX_LEN) or text.startswith("#") or text != line[stmt.col_offset : stmt.end_col_offset].strip():
                continue
            used = used_definitions(stmt, names, aliases)
            if not used:
                continue
            context = [chunk_of(modules[d.module], d) for d in used[:MAX_CHUNKS]]
            # The context must not hand over the answer itself.
            if any(text in {l.strip() for l in c["text"].split("\n")} for c in context):
                continue
            yield {
                "task_id": f"{module.rel}:L{stmt.lineno}",
                "package": dist,
                "version": version,
                "path": module.rel,
                "line": stmt.lineno,
                "prompt": window_before(module.lines, index),
                "suffix": window_after(module.lines, index),
                "answer": line.rstrip(),
                "context": context,
                "repo": dist,
            }


def generate(count: int, seed: int, packages: tuple[tuple[str, str], ...] = PACKAGES) -> list[dict]:
    pool = [item for package, dist in packages for item in candidates(package, dist)]
    random.Random(seed).shuffle(pool)
    per_file: dict[str, int] = {}
    chosen: list[dict] = []
    for item in pool:
        if len(chosen) >= count:
            break
        if per_file.get(item["path"], 0) >= PER_FILE:
            continue
        per_file[item["path"]] = per_file.get(item["path"], 0) + 1
        chosen.append(item)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for item in generate(args.count, args.seed):
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
