"""The committed report of a run: its settings, per-step figures, held-out scores before and
after, the product's `relay eval` tables, and the exact commands.

    python -m relaytools.train.report_md --run RUN --out docs/training \
        --eval "trained student, learned=EVAL_DIR" --commands commands.sh
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from .report import series


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def scores_table(before: dict[str, float], after: dict[str, float]) -> str:
    rows = [("accuracy", "accuracy"), ("answers with a call", "call_rate"), ("calls per answer", "calls_per_answer"),
            ("call ratio (teacher tokens / all)", "call_ratio"), ("answers with a malformed tag", "malformed_rate")]
    out = ["| held-out (arith test split) | before (vanilla) | after (trained) |", "|---|---|---|"]
    for label, key in rows:
        fmt = (lambda v: f"{v:.2f}") if key == "calls_per_answer" else _pct
        out.append(f"| {label} | {fmt(before[key])} | {fmt(after[key])} |")
    return "\n".join(out)


def steps_table(log: list[dict[str, float]]) -> str:
    keys = ["reward", "reward_std", "relay/call_rate", "relay/accuracy", "relay/call_ratio", "kl", "loss"]
    cols = {k: dict(zip(*series(log, k))) for k in keys}
    steps = sorted({s for c in cols.values() for s in c})
    out = ["| step | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for s in steps:
        out.append(f"| {int(s)} | " + " | ".join(f"{cols[k][s]:.3f}" if s in cols[k] else "–" for k in keys) + " |")
    return "\n".join(out)


def render(summary: dict[str, Any], evals: list[tuple[str, str]], commands: str, notes: str = "") -> str:
    settings = summary["settings"]
    sft_loss = series(summary["sft_log"], "loss")[1]
    parts = [
        "# Training a relay student on CPU: a longer run",
        "",
        "SmolLM2-135M-Instruct (student, from its Q4_1 GGUF) and qwen2.5-coder-0.5b-instruct (teacher,"
        " llama-cpp-python's server, one thread), real TRL, two shared CPU cores. **Small on purpose**:"
        f" {summary['warmup']['examples']} warm-up answers, {summary['filter']['kept']} GRPO questions,"
        f" {settings['sft']['steps']} SFT steps, {settings['grpo']['steps']} GRPO steps of"
        f" G = {settings['grpo']['group_size']}. It shows the whole path working and the student learning"
        " the command; it is far too small to show the paper's accuracy gains.",
        "",
        *([notes.strip(), ""] if notes.strip() else []),
        "## Stages",
        f"- Warm-up data: {summary['warmup']['examples']} answers, {summary['warmup']['calls']} calls inserted.",
        f"- Filter: {summary['filter']['rated']} questions rated with k = {settings['filter_k']} teacher answers,"
        f" mean pass rate {_pct(summary['filter']['mean_pass_rate'])}, {summary['filter']['kept']} kept at"
        f" ≥ {_pct(summary['filter']['threshold'])}.",
        f"- SFT: loss {sft_loss[0]:.3f} → {sft_loss[-1]:.3f} (student tokens only), lr {settings['sft']['learning_rate']},"
        f" batch {settings['sft']['batch_size']}.",
        f"- GRPO: G = {settings['grpo']['group_size']}, β = {settings['grpo']['beta']}, T = {settings['grpo']['temperature']},"
        f" lr {settings['grpo']['learning_rate']}.",
        f"- Wall time: {summary['wall_s'] / 60:.1f} min ({', '.join(f'{k} {v:.0f} s' for k, v in summary['timings_s'].items())})"
        + (f"; resumed, so not counting {', '.join(summary['resumed'])}." if summary.get("resumed") else "."),
        "",
        "![SFT loss](sft-loss.svg)",
        "",
        "![GRPO reward, call rate, accuracy, KL](grpo.svg)",
        "",
        "## GRPO per step",
        steps_table(summary["grpo_log"]),
        "",
    ]
    if "before" in summary and "after" in summary:
        parts += ["## Held-out, before and after (Python relay, greedy, real teacher)",
                  scores_table(summary["before"], summary["after"]), ""]
    for title, table in evals:
        parts += [f"## `relay eval`: {title}", table, ""]
    parts += ["## Commands", "```bash", commands.strip(), "```", ""]
    return "\n".join(parts)


def eval_tables(report_md: Path) -> str:
    """The tables of a `relay eval` report.md (its first heading dropped)."""
    lines = report_md.read_text().splitlines()
    return "\n".join(l for l in lines if not l.startswith("# "))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m relaytools.train.report_md")
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--eval", action="append", default=[], help="TITLE=DIR of a relay eval --out folder")
    ap.add_argument("--commands", type=Path, required=True)
    ap.add_argument("--notes", type=Path, help="markdown placed after the introduction (what the run shows)")
    args = ap.parse_args(argv)
    summary = json.loads((args.run / "summary.json").read_text())
    evals = []
    for spec in args.eval:
        title, _, folder = spec.rpartition("=")  # a title may hold "=", a folder rarely
        evals.append((title, eval_tables(Path(folder) / "report.md")))
    args.out.mkdir(parents=True, exist_ok=True)
    for svg in ("sft-loss.svg", "grpo.svg"):
        shutil.copy(args.run / svg, args.out / svg)
    slim = {k: v for k, v in summary.items() if k not in ("data", "gguf")}
    (args.out / "summary.json").write_text(json.dumps(slim, indent=2) + "\n")
    (args.out / "README.md").write_text(render(summary, evals, args.commands.read_text(),
                                                 args.notes.read_text() if args.notes else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
