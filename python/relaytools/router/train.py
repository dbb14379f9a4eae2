"""Fits the token router and writes the router file and its report (see the package docstring)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

FORMAT = "relay-router"
VERSION = 1


@dataclass
class Collection:
    settings: dict
    answers: list[dict] = field(default_factory=list)
    rollouts: list[dict] = field(default_factory=list)


def read_collection(path: Path) -> Collection:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines or lines[0].get("type") != "settings":
        raise SystemExit(f"{path}: not a router collection (no settings line first)")
    c = Collection(settings=lines[0])
    for line in lines[1:]:
        if line.get("type") == "answer":
            c.answers.append(line)
        elif line.get("type") == "rollout":
            c.rollouts.append(line)
    return c


def merge(collections: list[Collection], paths: list[Path]) -> Collection:
    """One collection; all must share features and models (shards of one run)."""
    first = collections[0].settings
    for c, p in zip(collections[1:], paths[1:]):
        for key in ("featureVersion", "features", "topK", "student", "teacher"):
            if c.settings.get(key) != first.get(key):
                raise SystemExit(f"{p}: its {key} differs from {paths[0]}'s; train on one student/teacher pair at a time")
    out = Collection(settings=first)
    seen = set()
    for c in collections:
        for a in c.answers:
            if a["id"] not in seen:
                seen.add(a["id"])
                out.answers.append(a)
        out.rollouts.extend(c.rollouts)
    return out


@dataclass
class Dataset:
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    group: np.ndarray
    """Index of the answer each token belongs to."""


def fix_model(c: Collection, answer_ids: set[str], seed: int) -> LogisticRegression | None:
    """P(a call fixes the answer | the token's features), from the rollouts of the given answers."""
    by_id = {a["id"]: a for a in c.answers if a["id"] in answer_ids}
    xs, ys = [], []
    for r in c.rollouts:
        a = by_id.get(r["id"])
        if a is not None and r["at"] < len(a["tokens"]):
            xs.append(a["tokens"][r["at"]]["f"])
            ys.append(1 if r["correct"] else 0)
    if len(ys) < 30 or sum(ys) < 5 or sum(ys) == len(ys):
        return None
    scaler = StandardScaler().fit(xs)
    model = LogisticRegression(max_iter=2000, C=0.1, random_state=seed).fit(scaler.transform(xs), ys)
    return lambda x: model.predict_proba(scaler.transform(x))[:, 1]


def build(c: Collection, label: str, strong_below: float, rollout_weight: float, fixes=None) -> Dataset:
    outcome = {(r["id"], r["at"]): bool(r["correct"]) for r in c.rollouts}
    xs, ys, ws, gs = [], [], [], []
    for gi, a in enumerate(c.answers):
        for ti, t in enumerate(a["tokens"]):
            disagree = t["y"] == 1
            strong = disagree and t["pa"] < strong_below
            y = disagree if label == "disagree" else strong
            w = 1.0
            if label == "rollout" and (a["id"], ti) in outcome:
                fixed = outcome[(a["id"], ti)]
                y, w = fixed, (rollout_weight if fixed else 1.0)
            xs.append(t["f"])
            ys.append(1 if y else 0)
            ws.append(w)
            gs.append(gi)
    if not xs:
        raise SystemExit("the collections hold no answers")
    x, y, w = np.asarray(xs, dtype=np.float64), np.asarray(ys), np.asarray(ws)
    if label == "expected" and fixes is not None:
        # The expected gain of a call as a soft label: a strong disagreement times how likely a call
        # there fixes the answer; fitted as a positive of weight p and a negative of weight 1 − p.
        p = np.where(y == 1, fixes(x), 0.0)
        groups = np.asarray(gs)
        return Dataset(np.concatenate([x, x]), np.concatenate([np.ones(len(y), int), np.zeros(len(y), int)]), np.concatenate([p, 1 - p]), np.concatenate([groups, groups]))
    if label == "utility" and fixes is not None:
        # A strong disagreement counts by how likely a call there fixes the answer (the rollouts'
        # second stage): the router ranks the disagreements that matter first.
        p = fixes(x[y == 1])
        w[y == 1] = p / max(1e-9, p.mean())
    return Dataset(x, y, w, np.asarray(gs))


def split(d: Dataset, seed: int, held_out: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    groups = np.unique(d.group)
    rng = np.random.default_rng(seed)
    rng.shuffle(groups)
    test_groups = set(groups[: max(1, int(len(groups) * held_out))].tolist())
    test = np.array([g in test_groups for g in d.group])
    return ~test, test


def fit(kind: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int, balance: bool = True):
    if kind == "logistic":
        model = LogisticRegression(max_iter=2000, class_weight="balanced" if balance else None, C=1.0)
        model.fit(x, y, sample_weight=w)
        return model
    # MLPClassifier takes no sample weights: repeat the rows in proportion (eighth steps).
    reps = np.rint(w * 8).astype(int)
    xr, yr = np.repeat(x, reps, axis=0), np.repeat(y, reps)
    # Balance the classes by oversampling the positives (not for a soft label: its scale is the point).
    pos = np.flatnonzero(yr == 1)
    neg = np.flatnonzero(yr == 0)
    if balance and 0 < len(pos) < len(neg):
        rng = np.random.default_rng(seed)
        extra = rng.choice(pos, size=len(neg) - len(pos), replace=True)
        xr, yr = np.concatenate([xr, xr[extra]]), np.concatenate([yr, yr[extra]])
    model = MLPClassifier(hidden_layer_sizes=(32, 16), activation="relu", alpha=1e-3, max_iter=300, early_stopping=True, random_state=seed)
    model.fit(xr, yr)
    return model


def export(kind: str, model, scaler: StandardScaler) -> dict:
    out: dict
    if kind == "logistic":
        out = {"kind": "logistic", "weights": model.coef_[0].tolist(), "bias": float(model.intercept_[0])}
    else:
        hidden = [{"weights": w.T.tolist(), "bias": b.tolist()} for w, b in zip(model.coefs_[:-1], model.intercepts_[:-1])]
        out = {"kind": "mlp", "hidden": hidden, "output": {"weights": model.coefs_[-1][:, 0].tolist(), "bias": float(model.intercepts_[-1][0])}}
    return out


def forward(exported: dict, scaler: StandardScaler, x: np.ndarray) -> np.ndarray:
    """The product's inference (src/core/routing/router.ts), to check the export."""
    z = (x - scaler.mean_) / np.where(scaler.scale_ == 0, 1, scaler.scale_)
    if exported["kind"] == "logistic":
        s = z @ np.asarray(exported["weights"]) + exported["bias"]
    else:
        h = z
        for layer in exported["hidden"]:
            h = np.maximum(0, h @ np.asarray(layer["weights"]).T + np.asarray(layer["bias"]))
        s = h @ np.asarray(exported["output"]["weights"]) + exported["output"]["bias"]
    return 1 / (1 + np.exp(-s))


def rollout_auc(c: Collection, score_of, held_out: set[str]) -> dict | None:
    """How well the scores rank the rolled-out positions of held-out answers: did a call there fix the answer?"""
    by_id = {a["id"]: a for a in c.answers if a["id"] in held_out}
    xs, ys = [], []
    for r in c.rollouts:
        a = by_id.get(r["id"])
        if a is None or r["at"] >= len(a["tokens"]):
            continue
        xs.append(a["tokens"][r["at"]]["f"])
        ys.append(1 if r["correct"] else 0)
    if len(set(ys)) < 2:
        return {"rollouts": len(ys), "fixed": int(sum(ys)), "auc": None}
    s = score_of(np.asarray(xs, dtype=np.float64))
    return {"rollouts": len(ys), "fixed": int(sum(ys)), "auc": round(float(roc_auc_score(ys, s)), 4)}


def operating_point(scores: np.ndarray, y: np.ndarray, share: float) -> dict:
    """Precision and recall when the top `share` of tokens by score are flagged."""
    k = max(1, int(round(len(scores) * share)))
    order = np.argsort(-scores)
    flagged = np.zeros(len(scores), dtype=bool)
    flagged[order[:k]] = True
    tp = int((flagged & (y == 1)).sum())
    return {"flagged_share": share, "threshold": float(scores[order[k - 1]]), "precision": round(tp / k, 4), "recall": round(tp / max(1, int((y == 1).sum())), 4)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="relaytools.router", description="Train a Relay token router.")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model", choices=["auto", "logistic", "mlp"], default="auto")
    p.add_argument("--label", choices=["disagree", "strong", "rollout", "utility", "expected"], default="expected")
    p.add_argument("--strong-below", type=float, default=0.1)
    p.add_argument("--rollout-weight", type=float, default=5.0)
    p.add_argument("--span", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    collections = [read_collection(f) for f in args.files]
    c = merge(collections, args.files)
    features = c.settings["features"]
    fixes = None
    if args.label in ("utility", "expected"):
        probe = build(c, "strong", args.strong_below, args.rollout_weight)
        train_probe, _ = split(probe, args.seed)
        train_ids = {c.answers[g]["id"] for g in np.unique(probe.group[train_probe]).tolist()}
        fixes = fix_model(c, train_ids, args.seed)
        if fixes is None:
            raise SystemExit(f"label {args.label} needs rollouts (at least 30, 5 of them fixing the answer) in the training answers: collect with --rollouts")
    # What is fitted, and what the held-out figures are measured on: the hard label itself, or for
    # the soft "expected" label its strong disagreements.
    fitting = build(c, args.label, args.strong_below, args.rollout_weight, fixes)
    d = build(c, "strong", args.strong_below, args.rollout_weight) if args.label == "expected" else fitting
    train, test = split(d, args.seed)
    train_groups = set(np.unique(d.group[train]).tolist())
    fit_rows = np.array([g in train_groups for g in fitting.group])
    if len(set(d.y[train].tolist())) < 2 or len(set(d.y[test].tolist())) < 2:
        raise SystemExit("both classes are needed in the train and held-out answers: collect more answers")
    scaler = StandardScaler().fit(d.x[train])
    xt, xv = scaler.transform(fitting.x[fit_rows]), scaler.transform(d.x[test])

    kinds = ["logistic", "mlp"] if args.model == "auto" else [args.model]
    fitted = {}
    for kind in kinds:
        model = fit(kind, xt, fitting.y[fit_rows], fitting.w[fit_rows], args.seed, balance=args.label != "expected")
        s = model.predict_proba(xv)[:, 1]
        fitted[kind] = (model, float(roc_auc_score(d.y[test], s)), s)
    kind = max(fitted, key=lambda k: fitted[k][1])
    model, auc, scores = fitted[kind]
    exported = export(kind, model, scaler)
    check = forward(exported, scaler, d.x[test])
    if not np.allclose(check, scores, atol=1e-6):
        raise SystemExit("internal: the exported router does not reproduce scikit-learn's scores")

    imp = permutation_importance(model, xv, d.y[test], scoring="roc_auc", n_repeats=3, random_state=args.seed)
    importances = sorted(((features[i], float(imp.importances_mean[i])) for i in range(len(features))), key=lambda t: -t[1])
    score_raw = lambda x: forward(exported, scaler, x)  # noqa: E731
    held_out = {c.answers[g]["id"] for g in np.unique(d.group[test]).tolist()}
    one_minus_p = lambda x: 1 - x[:, features.index("p_chosen")]  # noqa: E731
    metrics = {
        "label": args.label,
        "strongBelow": args.strong_below,
        "answers": len(c.answers),
        "tokens": int(len(d.y)),
        "positiveShare": round(float(d.y.mean()), 4),
        "heldOutAnswers": int(len(np.unique(d.group[test]))),
        "auc": {k: round(v[1], 4) for k, v in fitted.items()},
        "aucConfidence": round(float(roc_auc_score(d.y[test], one_minus_p(d.x[test]))), 4),
        "averagePrecision": round(float(average_precision_score(d.y[test], scores)), 4),
        "operatingPoints": [operating_point(scores, d.y[test], s) for s in (0.02, 0.05, 0.1)],
        "rollouts": rollout_auc(c, score_raw, held_out),
        "rolloutsConfidence": rollout_auc(c, one_minus_p, held_out),
        "importances": [{"feature": f, "auc_drop": round(v, 4)} for f, v in importances[:12]],
        "chosen": kind,
    }
    router = {
        "format": FORMAT,
        "version": VERSION,
        "featureVersion": c.settings["featureVersion"],
        "features": features,
        "topK": c.settings["topK"],
        "student": c.settings["student"],
        "teacher": c.settings["teacher"],
        "scaler": {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()},
        "model": exported,
        "spanTokens": args.span,
        "threshold": metrics["operatingPoints"][1]["threshold"],
        "metrics": metrics,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    args.out.write_text(json.dumps(router) + "\n", encoding="utf-8")
    Path(f"{args.out}.md").write_text(report(router, args.files), encoding="utf-8")
    return 0


def report(router: dict, files: list[Path]) -> str:
    m = router["metrics"]
    lines = [
        f"# Token router: {router['student']['name']} → {router['teacher']['name']}",
        "",
        f"Trained on {m['answers']} answers ({m['tokens']} tokens) from {', '.join(str(f) for f in files)}; "
        f"label `{m['label']}` (positives {m['positiveShare'] * 100:.1f}% of tokens); "
        f"held out: {m['heldOutAnswers']} answers never seen in training.",
        "",
        "| model | held-out ROC AUC |",
        "|---|---|",
        *[f"| {k}{' (chosen)' if k == m['chosen'] else ''} | {v:.4f} |" for k, v in m["auc"].items()],
        f"| 1 − top-1 probability (the confidence policy's signal) | {m['aucConfidence']:.4f} |",
        "",
        f"Average precision {m['averagePrecision']:.4f}.",
        "",
        "| flagged share of tokens | threshold | precision | recall |",
        "|---|---|---|---|",
        *[f"| {o['flagged_share'] * 100:.0f}% | {o['threshold']:.4f} | {o['precision']:.3f} | {o['recall']:.3f} |" for o in m["operatingPoints"]],
        "",
    ]
    r, rc = m.get("rollouts"), m.get("rolloutsConfidence")
    if r:
        auc = "n/a" if r["auc"] is None else f"{r['auc']:.4f}"
        cauc = "n/a" if not rc or rc["auc"] is None else f"{rc['auc']:.4f}"
        lines += [f"Rollouts in the held-out answers: {r['rollouts']} calls at strong disagreements of wrong answers, {r['fixed']} fixed the answer; "
                  f"the router ranks them with ROC AUC {auc} (confidence: {cauc}).", ""]
    lines += ["Feature importances (held-out ROC AUC lost when the feature is shuffled):", "",
              "| feature | AUC drop |", "|---|---|",
              *[f"| {i['feature']} | {i['auc_drop']:.4f} |" for i in m["importances"]], ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
