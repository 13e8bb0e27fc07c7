#!/usr/bin/env python3
"""Experiment: scale kept residual branches by the depth a uniform-rule Stochastic-Depth model was trained at.

A model trained with every droppable block surviving with probability p saw, on average, E = p * N of its N
droppable blocks per step, each at full strength. Elide offers two variants at inference: "scaled" (every kept
branch times p, right when all N run) and "unscaled" (times 1, right when about E run). This script tries the rule
in between: with n droppable blocks kept, every kept branch is multiplied by g = min(1, E / n) -- p at full depth,
1 at or below the trained depth.

How: Elide's `--unscaled` divides each block's recorded BranchScale s out of the branch (which carries p). Writing
s' = p / g into a copy's block map makes `elide eval --unscaled` run the branch at g, with no new code path.
Needs python3-onnx (Debian) for the metadata edit; the evaluations are Elide's own.

Usage:
  /usr/bin/python3 bench/adaptive/expected_depth_scaling.py --model models/fashion-resnet32-sdu.onnx \
      --front models/fashion-resnet32-sdu.front.json --front docs/data/fashion-resnet32-sdu.unscaled.front.json \
      [--split val] [--threads 2] [--min-kept 7]
Prints one Markdown row per mask: validation accuracy scaled, unscaled and with the expected-depth factor.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("ELIDE_CLI_DLL") or os.path.join(ROOT, "src", "Elide.Cli", "bin", "Release", "net10.0", "Elide.Cli.dll")
BLOCKS_KEY = "elide.residual_blocks"


def evaluate(model, mask, unscaled, split, threads, limit):
    cmd = ["dotnet", CLI, "eval", "--model", model, "--dataset", "fashion-mnist", "--split", split, "--json",
           "--threads", str(threads), "--config", mask]
    if unscaled:
        cmd.append("--unscaled")
    if limit:
        cmd += ["--limit", str(limit)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"elide eval failed for {mask}: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])["accuracy"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--front", action="append", default=[], help="front JSON whose masks are tried (repeatable)")
    ap.add_argument("--split", default="val")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="evaluate only N images (0: the whole split)")
    ap.add_argument("--min-kept", type=int, default=0, help="only masks keeping at least this many blocks")
    args = ap.parse_args()
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} not found: build it (dotnet build src/Elide.Cli -c Release) or set ELIDE_CLI_DLL")
    try:
        import onnx
    except ImportError:
        sys.exit("python3-onnx is needed (apt-get install -y python3-onnx; run with /usr/bin/python3)")

    model = onnx.load(args.model)
    props = {p.key: p for p in model.metadata_props}
    if BLOCKS_KEY not in props:
        sys.exit(f"{args.model} has no '{BLOCKS_KEY}' metadata (not a model trained by Elide)")
    blocks = json.loads(props[BLOCKS_KEY].value)
    droppable = [b for b in blocks if not b["Downsample"]]
    rates = {round(b["SurvivalProbability"], 9) for b in droppable}
    if len(rates) != 1 or any(abs(b["BranchScale"] - b["SurvivalProbability"]) > 1e-9 for b in droppable):
        sys.exit("the rule is defined for uniform-rule models (one survival probability p, branches scaled by p)")
    p = rates.pop()
    expected = p * len(droppable)

    masks = []
    for path in args.front:
        with open(path) as f:
            for point in json.load(f)["front"]:
                if point["config"] not in masks and point["config"].count("1") >= args.min_kept:
                    masks.append(point["config"])
    if not masks:
        sys.exit("no masks: pass --front with at least one front JSON")
    masks.sort(key=lambda m: -m.count("1"))

    print(f"{args.model}: {len(droppable)} droppable blocks, p = {p}, trained depth E = {expected:g} droppable blocks")
    print()
    print(f"| mask | kept | droppable kept n | g = min(1, E/n) | scaled {args.split} % | unscaled {args.split} % | expected-depth {args.split} % |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for mask in masks:
            kept = [b for b in droppable if mask[b["Index"]] == "1"]
            g = 1.0 if not kept else min(1.0, expected / len(kept))
            edited = [dict(b, BranchScale=(p / g if (not b["Downsample"]) else b["BranchScale"])) for b in blocks]
            props[BLOCKS_KEY].value = json.dumps(edited, separators=(",", ":"))
            path = os.path.join(tmp, "g.onnx")
            onnx.save(model, path)
            scaled = evaluate(args.model, mask, False, args.split, args.threads, args.limit)
            unscaled = evaluate(args.model, mask, True, args.split, args.threads, args.limit)
            between = evaluate(path, mask, True, args.split, args.threads, args.limit)
            print(f"| {mask} | {mask.count('1')} | {len(kept)} | {g:.3f} | {100 * scaled:.2f} | {100 * unscaled:.2f} | {100 * between:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
