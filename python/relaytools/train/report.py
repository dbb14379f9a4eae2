"""The run's figures: per-step curves as SVG (matplotlib) and a JSON summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def series(log: Sequence[dict[str, float]], key: str) -> tuple[list[float], list[float]]:
    steps, values = [], []
    for entry in log:
        if key in entry and "step" in entry:
            steps.append(float(entry["step"]))
            values.append(float(entry[key]))
    return steps, values


def curves_svg(path: Path, title: str, log: Sequence[dict[str, float]], keys: Sequence[str]) -> Path:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(keys), 1, figsize=(6.4, 2.2 * len(keys)), sharex=True, squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        steps, values = series(log, key)
        ax.plot(steps, values, marker="." if len(steps) < 40 else None, linewidth=1.2)
        ax.set_ylabel(key, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.rcParams["svg.hashsalt"] = "relay"  # stable ids: the committed SVG changes only with the data
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return path
