"""The whole path, stage by stage: data, filter, warm-up, GRPO, export (and held-out scores).

    python -m relaytools.train --profile smoke --out DIR --student S.gguf --teacher T.gguf \
        --server-python PY --converter convert_hf_to_gguf.py

The teacher runs as llama-cpp-python's server (started and stopped here). The data stage (the
student's samples, the teacher's spans and pass rates) is cached by what it depends on: the
profile's data settings, the two models' checksums and this package's data code.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .. import arith
from . import evaluate, export, grpo, passrate, sft, student, warmup
from .config import Profile, profile
from .grading import grader
from .prompts import TeacherTemplate
from .report import curves_svg
from .server import LlamaServer
from .teacher import CompletionsClient, Teacher, TeacherReply

DATA_CODE = ("warmup.py", "insertion.py", "relay.py", "generation.py", "teacher.py", "prompts.py", "tags.py",
             "passrate.py", "grading.py", "segments.py", "student.py")


def log(message: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def items_for(p: Profile) -> tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    """Warm-up and RL questions from the TRAIN split; held-out ones from the test split."""
    train = arith.generate("train", p.warmup_questions + p.rl_questions, seed=p.seed)
    for i, item in enumerate(train):
        item["qid"] = f"train-{p.seed}-{i}"
    heldout = arith.generate("test", p.heldout_questions, seed=p.heldout_seed)
    return train[: p.warmup_questions], train[p.warmup_questions:], heldout


def data_key(p: Profile, student_gguf: Path, teacher_gguf: Path) -> str:
    digest = hashlib.sha256(json.dumps(p.data_part(), sort_keys=True, default=str).encode())
    for model in (student_gguf, teacher_gguf):
        digest.update(f"{model.name}:{model.stat().st_size}".encode())
    here = Path(__file__).parent
    for name in DATA_CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.rename(path)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Stages:
    """Finished stages of a run, kept in OUT/stages so that `--resume` skips them after a crash or
    a restart (a stage cut off midway runs again). Only a run of the same settings resumes."""

    def __init__(self, out: Path, settings: dict[str, Any], resume: bool) -> None:
        self.folder = out / "stages"
        stamp = json.dumps(settings, sort_keys=True, default=str)
        if not resume:
            shutil.rmtree(self.folder, ignore_errors=True)
        elif (self.folder / "settings.json").is_file() and (self.folder / "settings.json").read_text() != stamp:
            raise ValueError(f"{out} holds a run with other settings: resume it with the same options, "
                             "or start again without --resume")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "settings.json").write_text(stamp)

    def has(self, name: str, needs: Path | None = None) -> bool:
        """Finished, and the checkpoint it wrote (`needs`) is still there."""
        return (self.folder / f"{name}.json").is_file() and (needs is None or (needs / "config.json").is_file())

    def done(self, name: str, needs: Path | None = None) -> dict[str, Any] | None:
        if not self.has(name, needs):
            return None
        log(f"{name}: already done (resumed)")
        return dict(json.loads((self.folder / f"{name}.json").read_text()))

    def record(self, name: str, result: Any, seconds: float) -> None:
        tmp = self.folder / f"{name}.json.tmp"
        tmp.write_text(json.dumps({"result": result, "seconds": seconds}))
        tmp.rename(self.folder / f"{name}.json")


def make_data(p: Profile, model: Any, tokenizer: Any, teacher: Teacher, warm_items: list[dict[str, str]],
              rl_items: list[dict[str, str]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"relay-train/{p.seed}")
    calls = iter(range(1, 1 << 30))

    def continue_fn(question: str, so_far: str, n: int) -> TeacherReply:
        return teacher.continue_answer(question, so_far, n, seed=next(calls))

    if not (folder / "warmup.jsonl").is_file():
        log(f"warm-up data: {len(warm_items)} student answers with calls and teacher spans")
        write_jsonl(folder / "warmup.jsonl", warmup.build(model, tokenizer, warm_items, p.plan, p.warmup_limits,
                                                            continue_fn, rng, p.student_temperature))
    if not (folder / "rated.jsonl").is_file():
        log(f"teacher pass rates: {len(rl_items)} questions x k={p.filter_k}")
        grade = grader(p.grader)
        rated = [r.as_json() | {"qid": i["qid"]} for r, i in zip(passrate.rate_all(
            rl_items, lambda q, k: [teacher.solve(q, p.teacher_answer_tokens, seed=next(calls)) for _ in range(k)],
            p.filter_k, grade), rl_items)]
        write_jsonl(folder / "rated.jsonl", rated)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    p = profile(args.profile, sft_steps=args.sft_steps, sft_learning_rate=args.sft_lr, grpo_steps=args.grpo_steps,
                grpo_learning_rate=args.grpo_lr, grpo_group_size=args.group_size, grpo_beta=args.beta,
                filter_threshold=args.keep)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    cache: Path = args.cache
    timings: dict[str, float] = {}
    started = time.monotonic()

    def lap(name: str, t0: float) -> None:
        timings[name] = round(time.monotonic() - t0, 1)
        log(f"{name} done in {timings[name]} s")

    t0 = time.monotonic()
    base = student.base_checkpoint(args.student, cache)
    lap("base checkpoint", t0)
    warm_items, rl_items, heldout = items_for(p)
    data = cache / f"data-{p.name}-{data_key(p, args.student, args.teacher)}"
    template = TeacherTemplate.from_gguf(args.teacher)
    summary: dict[str, Any] = {"profile": p.name, "settings": dataclasses.asdict(p), "data": str(data)}
    stages = Stages(out, summary["settings"], args.resume)
    resumed: list[str] = []  # stages taken from an earlier process: wall_s does not include them

    def stage(name: str, work: Any, needs: Path | None = None) -> Any:
        """`work()` once: its result is recorded, and a resumed run takes the recorded one."""
        if (done := stages.done(name, needs)) is not None:
            timings[name] = done["seconds"]
            resumed.append(name)
            return done["result"]
        t0 = time.monotonic()
        result = work()
        lap(name, t0)
        stages.record(name, result, timings[name])
        return result

    with LlamaServer(args.server_python, args.teacher, out / "teacher-server.log", threads=args.teacher_threads) as url:
        teacher = Teacher(CompletionsClient(url), template, temperature=p.teacher_temperature)
        seeds = iter(range(1 << 20, 1 << 30))

        def teacher_fn(question: str, so_far: str, n: int) -> TeacherReply:
            return teacher.continue_answer(question, so_far, n, seed=next(seeds))

        model, tokenizer = student.load(base)
        t0 = time.monotonic()
        make_data(p, model, tokenizer, teacher, warm_items, rl_items, data)
        lap("data", t0)
        records = read_jsonl(data / "warmup.jsonl")
        rated = read_jsonl(data / "rated.jsonl")
        kept = [r for r in rated if passrate.keep(passrate.Rated(r["question"], r["answer"], r["passes"], r["samples"]),
                                                  p.filter_threshold)]
        summary["warmup"] = {"examples": len(records), "calls": sum(len(r["calls"]) for r in records)}
        summary["filter"] = {"rated": len(rated), "kept": len(kept), "threshold": p.filter_threshold,
                             "mean_pass_rate": sum(r["pass_rate"] for r in rated) / max(1, len(rated))}
        if not kept:
            raise RuntimeError(f"the teacher passed none of {len(rated)} questions at >= {p.filter_threshold}: "
                               "nothing to train GRPO on")
        grade = grader(p.grader)
        golds = [i["answer"] for i in heldout]

        def held_out(checkpoint_model: Any, name: str) -> dict[str, float]:
            done = evaluate.answers(checkpoint_model, tokenizer, heldout, p.eval_limits, teacher_fn)
            write_jsonl(out / f"heldout-{name}.jsonl", [{"question": a.question, "text": a.text, "calls": a.calls}
                                                        for a in done])
            return evaluate.score(done, golds, grade).as_json()

        if p.evaluate:
            summary["before"] = stage("held-out before", lambda: held_out(model, "before"))
        # The SFT checkpoint is needed again only while GRPO has not finished.
        sft_needs = None if stages.has("grpo", out / "grpo") else out / "sft"
        sft_log = stage("sft", lambda: sft.train(model, tokenizer, records, p.sft, out / "sft"), needs=sft_needs)
        del model
        grpo_log = stage("grpo", lambda: grpo.train(out / "sft", tokenizer, kept, p.grpo, p.rl_limits, teacher_fn,
                                                    grade, out / "grpo"), needs=out / "grpo")
        if p.evaluate:
            summary["after"] = stage("held-out after", lambda: held_out(student.load(out / "grpo")[0], "after"))
    t0 = time.monotonic()
    gguf = export.to_gguf(out / "grpo", args.converter, out / "student.gguf")
    lap("export", t0)
    summary |= {"gguf": str(gguf), "timings_s": timings, "wall_s": round(time.monotonic() - started, 1),
                "resumed": resumed, "heldout_prompt": heldout[0]["question"], "sft_log": sft_log, "grpo_log": grpo_log}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    curves_svg(out / "sft-loss.svg", "Warm-up (SFTTrainer): loss on student tokens", sft_log, ["loss"])
    curves_svg(out / "grpo.svg", "GRPO (GRPOTrainer, relay rollouts)", grpo_log,
               ["reward", "relay/call_rate", "relay/accuracy", "kl"])
    if not args.keep_checkpoints:
        shutil.rmtree(out / "sft", ignore_errors=True)
    return summary


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m relaytools.train", description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--student", type=Path, required=True, help="the student's GGUF (SmolLM2-135M-Instruct)")
    ap.add_argument("--teacher", type=Path, required=True, help="the teacher's GGUF (served by llama-cpp-python)")
    ap.add_argument("--server-python", required=True, help="python of the environment with llama-cpp-python[server]")
    ap.add_argument("--converter", type=Path, required=True, help="llama.cpp's convert_hf_to_gguf.py")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "relay" / "train")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--teacher-threads", type=int, default=1)
    ap.add_argument("--sft-steps", type=int)
    ap.add_argument("--sft-lr", type=float)
    ap.add_argument("--grpo-steps", type=int)
    ap.add_argument("--grpo-lr", type=float)
    ap.add_argument("--group-size", type=int, help="G")
    ap.add_argument("--beta", type=float, help="KL coefficient")
    ap.add_argument("--keep", type=float, help="teacher pass-rate threshold (default 0.5)")
    ap.add_argument("--keep-checkpoints", action="store_true")
    ap.add_argument("--resume", action="store_true",
                    help="skip the stages a cut-off run in the same --out finished (same settings only)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # A terminated run still stops the teacher server it started (the `with` blocks unwind).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    summary = run(args)
    log(f"wrote {summary['gguf']} in {summary['wall_s']} s")
    return 0
