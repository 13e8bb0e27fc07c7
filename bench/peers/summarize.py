"""Turns the JSON lines written by ort_bench.mjs / torch_bench.py into markdown tables.

Usage: /usr/bin/python3 bench/peers/summarize.py results.jsonl [more.jsonl ...] > results.md

Several files (e.g. from separate run_peers.sh invocations) are pooled as extra rounds.

A configuration measured in several rounds (same runtime, model, batch, threads, spin, mode) is shown by
its round with the lowest median; the "spread" column gives the worst median of the row's runs over their
best, minus one, so rows disturbed by other processes on the machine stand out.

Inference table: one row per (model, batch, threads) with ONNX Runtime (spinning off, and on where measured)
and PyTorch eager median latency and images/s. Training table: PyTorch SGD-step throughput.
"""

from __future__ import annotations

import json
import sys


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def group_rounds(records: list[dict]) -> dict[tuple, list[dict]]:
    """Groups the runs of one configuration, in file order."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        key = (r["runtime"], r.get("mode", "inference"), r["model"], r["batch"], r["threads"], r.get("spin", 0))
        groups.setdefault(key, []).append(r)
    return groups


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["median_ms"])


def spread(runs: list[dict]) -> float:
    medians = [r["median_ms"] for r in runs]
    return max(medians) / min(medians) - 1


def cell(record: dict | None) -> str:
    if record is None:
        return "–"
    return f"{record['median_ms']:.3f} ms / {record['images_per_s']:,.0f}"


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: summarize.py results.jsonl [more.jsonl ...]", file=sys.stderr)
        return 2
    records = [r for path in argv for r in load(path)]
    groups = group_rounds(records)
    rounds = max((len(runs) for runs in groups.values()), default=0)
    inference: dict[tuple, dict[str, list[dict]]] = {}
    training: list[list[dict]] = []
    for (runtime, mode, model, batch, threads, spin), runs in groups.items():
        if mode == "train":
            training.append(runs)
            continue
        if runtime == "onnxruntime":
            column = "ort_spin" if spin == 1 and threads > 1 else "ort"
        else:
            column = "torch"
        inference.setdefault((model, batch, threads), {})[column] = runs

    out = []
    versions = {r["runtime"]: r["version"] for r in records}
    if inference:
        has_spin = any("ort_spin" in v for v in inference.values())
        out.append(
            f"Inference, median latency / images per second (ONNX Runtime {versions.get('onnxruntime', '?')}, "
            f"PyTorch {versions.get('pytorch', '?')} eager); best of {rounds} round(s). "
            "Ratio = ORT images/s ÷ PyTorch images/s (ORT without spinning).\n"
        )
        header = ["model", "batch", "threads", "ORT"]
        if has_spin:
            header.append("ORT, spinning")
        header += ["PyTorch", "ORT ÷ PyTorch", "spread"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|")
        for (model, batch, threads), row in inference.items():
            ort = best(row["ort"]) if "ort" in row else None
            torch = best(row["torch"]) if "torch" in row else None
            ratio = f"{ort['images_per_s'] / torch['images_per_s']:.2f}×" if ort and torch else "–"
            cells = [model, str(batch), str(threads), cell(ort)]
            if has_spin:
                cells.append(cell(best(row["ort_spin"]) if "ort_spin" in row else None))
            worst_spread = max(spread(runs) for runs in row.values())
            cells += [cell(torch), ratio, f"{worst_spread:.0%}"]
            out.append("| " + " | ".join(cells) + " |")
    if training:
        out.append(
            f"\nTraining, PyTorch {versions.get('pytorch', '?')} eager: one SGD step (forward + cross entropy + "
            f"backward + momentum update); best of {rounds} round(s).\n"
        )
        out.append("| model | batch | threads | step median | images/s | spread |")
        out.append("|---|---|---|---:|---:|---:|")
        for runs in training:
            r = best(runs)
            out.append(
                f"| {r['model']} | {r['batch']} | {r['threads']} | {r['median_ms']:.1f} ms "
                f"| {r['images_per_s']:,.0f} | {spread(runs):.0%} |"
            )
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
