#!/usr/bin/python3
"""Side-by-side inference benchmark: Elide vs ONNX Runtime 1.30 vs PyTorch 1.13 eager, in one run.

Usage:
    /usr/bin/python3 bench/compare.py [--models resnet20,resnet56] [--batches 1,64] [--threads 1,2]
        [--rounds 3] [--seconds 2] [--elide-input onnx|builtin] [--out bench/out/compare]

For every (model, batch, threads) the three runtimes are run back to back, round after round, so machine
noise hits them alike. Each run reports the median latency of >= 20 timed runs and >= --seconds seconds
after warm-up; a configuration's figure is the median over rounds of those medians, and the ratio
Elide/peer is taken between figures of the same run (higher = Elide faster).
ONNX Runtime runs with intra-op spinning off (fair at 2 threads on 2 cores; Elide's pool spins ~200 us).
Models come from bench/peers/export_models.py (seeded weights, randomized BatchNorm); with
--elide-input onnx Elide runs the very same .onnx file, with builtin it runs its own C#-built copy of the
CIFAR ResNet (same architecture, different random weights: the same FLOPs).
Writes OUT/results.jsonl and OUT/results.md, and prints the table.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEERS = os.path.join(HERE, "peers")
PYTHON = "/usr/bin/python3"


def run_json(cmd, cwd=REPO):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def elide(model_arg, batch, threads, seconds):
    return run_json([os.path.join(REPO, "elide"), "bench", "--model", model_arg, "--batch", str(batch),
                     "--threads", str(threads), "--seconds", str(seconds), "--iterations", "20", "--json"])


def ort(onnx_path, batch, threads, seconds):
    return run_json(["node", "ort_bench.mjs", "--model", onnx_path, "--batch", str(batch), "--threads", str(threads),
                     "--warmup", "10", "--iters", "20", "--min-seconds", str(seconds), "--spin", "0"], cwd=PEERS)


def torch(onnx_path, batch, threads, seconds):
    return run_json([PYTHON, "torch_bench.py", "--model", onnx_path, "--batch", str(batch), "--threads", str(threads),
                     "--warmup", "5", "--iters", "20", "--min-seconds", str(seconds)], cwd=PEERS)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resnet20,resnet56")
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--elide-input", choices=["onnx", "builtin"], default="onnx")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "out", "compare"))
    args = ap.parse_args()

    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    models_dir = os.path.join(args.out, "models")
    os.makedirs(models_dir, exist_ok=True)
    models = args.models.split(",")
    subprocess.run([os.path.join(PEERS, "setup.sh")], check=True)
    missing = [m for m in models if not os.path.exists(os.path.join(models_dir, m + ".onnx"))]
    if missing:
        subprocess.run([PYTHON, os.path.join(PEERS, "export_models.py"), "--out", models_dir, "--models", ",".join(missing)],
                       check=True, capture_output=True)

    rows = []
    results_path = os.path.join(args.out, "results.jsonl")
    with open(results_path, "w") as log:
        for model in models:
            onnx_path = os.path.join(models_dir, model + ".onnx")
            elide_arg = onnx_path if args.elide_input == "onnx" else model
            for batch in map(int, args.batches.split(",")):
                for threads in map(int, args.threads.split(",")):
                    med = {"elide": [], "ort": [], "torch": []}
                    for r in range(args.rounds):
                        runners = [("elide", lambda: elide(elide_arg, batch, threads, args.seconds)),
                                   ("ort", lambda: ort(onnx_path, batch, threads, args.seconds))]
                        if not args.no_torch:
                            runners.append(("torch", lambda: torch(onnx_path, batch, threads, args.seconds)))
                        for name, fn in runners:
                            res = fn()
                            res.update({"runtime_key": name, "round": r, "model_name": model})
                            log.write(json.dumps(res) + "\n")
                            log.flush()
                            med[name].append(res["median_ms"])
                        print(f"  {model} b{batch} t{threads} round {r + 1}: " +
                              ", ".join(f"{k} {v[-1]:.3f} ms" for k, v in med.items() if v), file=sys.stderr)
                    fig = {k: statistics.median(v) for k, v in med.items() if v}
                    rows.append((model, batch, threads, fig))

    lines = [f"date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; rounds: {args.rounds}; "
             f"Elide input: {args.elide_input}; figures: median over rounds of per-run median latency",
             "", "| model | batch | threads | Elide ms | ORT ms | PyTorch ms | Elide img/s | ORT img/s | Elide/ORT | Elide/PyTorch |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for model, batch, threads, fig in rows:
        e, o, t = fig["elide"], fig["ort"], fig.get("torch")
        lines.append(f"| {model} | {batch} | {threads} | {e:.3f} | {o:.3f} | {t:.3f} | {batch / e * 1000:.0f} | {batch / o * 1000:.0f} | "
                     f"{o / e:.2f}x | {t / e:.2f}x |" if t else
                     f"| {model} | {batch} | {threads} | {e:.3f} | {o:.3f} | – | {batch / e * 1000:.0f} | {batch / o * 1000:.0f} | {o / e:.2f}x | – |")
    table = "\n".join(lines)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
