"""Turns the JSON lines written by ort_bench.mjs / torch_bench.py into markdown tables.

Usage: /usr/bin/python3 bench/peers/summarize.py results.jsonl > results.md

Inference table: one row per (model, batch, threads) with ONNX Runtime (spinning off, and on where measured)
and PyTorch eager median latency and images/s. Training table: PyTorch SGD-step throughput.
"""

from __future__ import annotations

import json
import sys


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def cell(record: dict | None) -> str:
    if record is None:
        return "–"
    return f"{record['median_ms']:.3f} ms / {record['images_per_s']:,.0f}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: summarize.py results.jsonl", file=sys.stderr)
        return 2
    records = load(argv[0])
    inference: dict[tuple, dict[str, dict]] = {}
    training: list[dict] = []
    for r in records:
        if r.get("mode") == "train":
            training.append(r)
            continue
        if r["runtime"] == "onnxruntime":
            column = "ort_spin" if r["spin"] == 1 and r["threads"] > 1 else "ort"
        else:
            column = "torch"
        inference.setdefault((r["model"], r["batch"], r["threads"]), {})[column] = r

    out = []
    if inference:
        versions = {r["runtime"]: r["version"] for r in records}
        has_spin = any("ort_spin" in v for v in inference.values())
        out.append(
            f"Inference, median latency / images per second (ONNX Runtime {versions.get('onnxruntime', '?')}, "
            f"PyTorch {versions.get('pytorch', '?')} eager). Ratio = ORT images/s ÷ PyTorch images/s.\n"
        )
        header = ["model", "batch", "threads", "ORT"]
        if has_spin:
            header.append("ORT, spinning")
        header += ["PyTorch", "ORT ÷ PyTorch"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|")
        for (model, batch, threads), row in inference.items():
            ort, torch = row.get("ort"), row.get("torch")
            ratio = f"{ort['images_per_s'] / torch['images_per_s']:.2f}×" if ort and torch else "–"
            cells = [model, str(batch), str(threads), cell(ort)]
            if has_spin:
                cells.append(cell(row.get("ort_spin")))
            cells += [cell(torch), ratio]
            out.append("| " + " | ".join(cells) + " |")
    if training:
        out.append("\nTraining, PyTorch eager: one SGD step (forward + cross entropy + backward + momentum update).\n")
        out.append("| model | batch | threads | step median | images/s |")
        out.append("|---|---|---|---:|---:|")
        for r in training:
            out.append(
                f"| {r['model']} | {r['batch']} | {r['threads']} | {r['median_ms']:.1f} ms | {r['images_per_s']:,.0f} |"
            )
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
