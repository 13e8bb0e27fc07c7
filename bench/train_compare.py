#!/usr/bin/python3
"""Side-by-side training throughput: Elide vs PyTorch 1.13 eager, same network, batch and threads, in one run.

Usage:
    /usr/bin/python3 bench/train_compare.py [--models resnet20,resnet56] [--threads 1,2] [--batch 128]
        [--rounds 3] [--seconds 5] [--out bench/out/train_compare]

One timed unit is one SGD step on a CIFAR-style ResNet (1x28x28 input, 10 classes, width 16, no block dropped):
zero gradients, training-mode forward (batch statistics), cross-entropy, backward, SGD update (lr 0.01,
momentum 0.9). Elide: `Elide.Bench train`; PyTorch: bench/peers/torch_bench.py --train (torch.set_num_threads).
The input batch is fixed, so neither data pipeline is measured. For every (model, threads) the two run back to
back, round after round, so machine noise hits both alike; a figure is the median over rounds of each run's
median step time, and the ratio Elide/PyTorch (images/s, higher = Elide faster) is taken per round and its
median reported. Writes OUT/results.jsonl and OUT/results.md and prints the table.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEERS = os.path.join(HERE, "peers")
PYTHON = "/usr/bin/python3"
BENCH_DLL = os.path.join(HERE, "Elide.Bench", "bin", "Release", "net10.0", "Elide.Bench.dll")


def run_json(cmd, cwd=REPO, env=None):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1800, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def elide(model, batch, threads, seconds):
    return run_json(["dotnet", BENCH_DLL, "train", "--arch", model, "--batch", str(batch), "--threads", str(threads),
                     "--warmup", "2", "--iters", "5", "--min-seconds", str(int(seconds))])


def torch(model, batch, threads, seconds):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    return run_json([PYTHON, "torch_bench.py", "--arch", model, "--batch", str(batch), "--threads", str(threads),
                     "--warmup", "2", "--iters", "5", "--min-seconds", str(seconds), "--train"], cwd=PEERS, env=env)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resnet20,resnet56")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--out", default=os.path.join(HERE, "out", "train_compare"))
    args = ap.parse_args()

    subprocess.run(["dotnet", "build", os.path.join(HERE, "Elide.Bench"), "-c", "Release", "-v", "q", "-nologo"],
                   check=True, capture_output=True)
    os.makedirs(args.out, exist_ok=True)
    rows = []
    with open(os.path.join(args.out, "results.jsonl"), "w") as log:
        for model in args.models.split(","):
            for threads in [int(t) for t in args.threads.split(",")]:
                runs = {"elide": [], "pytorch": []}
                for r in range(args.rounds):
                    e = elide(model, args.batch, threads, args.seconds)
                    t = torch(model, args.batch, threads, args.seconds)
                    for rec in (e, t):
                        rec["round"] = r
                        log.write(json.dumps(rec) + "\n")
                    runs["elide"].append(e)
                    runs["pytorch"].append(t)
                    print(f"  {model} {threads}T round {r + 1}: Elide {e['images_per_s']:.0f} img/s "
                          f"(fwd {e['forward_ms']:.0f} ms, bwd {e['backward_ms']:.0f} ms), PyTorch {t['images_per_s']:.0f} img/s",
                          flush=True)
                ratios = [e["images_per_s"] / t["images_per_s"] for e, t in zip(runs["elide"], runs["pytorch"])]
                rows.append({
                    "model": model, "threads": threads, "batch": args.batch,
                    "elide_ms": statistics.median(x["median_ms"] for x in runs["elide"]),
                    "torch_ms": statistics.median(x["median_ms"] for x in runs["pytorch"]),
                    "elide_fwd_ms": statistics.median(x["forward_ms"] for x in runs["elide"]),
                    "elide_bwd_ms": statistics.median(x["backward_ms"] for x in runs["elide"]),
                    "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
                })
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Training throughput, batch {args.batch}, 1x28x28, {args.rounds} rounds, {stamp}, {cpu_name()}, {os.cpu_count()} cores",
        f"command: /usr/bin/python3 bench/train_compare.py --models {args.models} --threads {args.threads} --rounds {args.rounds}",
        "",
        "| model | threads | Elide ms/step | Elide img/s | (fwd / bwd ms) | PyTorch ms/step | PyTorch img/s | Elide/PyTorch (min–max) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['threads']} | {r['elide_ms']:.0f} | {r['batch'] * 1000 / r['elide_ms']:.0f} | "
                     f"{r['elide_fwd_ms']:.0f} / {r['elide_bwd_ms']:.0f} | {r['torch_ms']:.0f} | {r['batch'] * 1000 / r['torch_ms']:.0f} | "
                     f"{r['ratio']:.2f}x ({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) |")
    text = "\n".join(lines)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
