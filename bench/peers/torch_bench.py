"""PyTorch eager peer: inference latency/throughput, or training-step throughput, of one benchmark model.

Usage:
    /usr/bin/python3 bench/peers/torch_bench.py (--arch NAME | --model PATH/NAME.onnx)
        --batch B --threads T --warmup W --iters I [--min-seconds S] [--seed N] [--train]

The model is the PyTorch module itself (cifar_resnet.py or torchvision, built by export_models.build_model
with the same seed, so its weights equal those in the exported NAME.onnx); ``--model`` only takes the
architecture name from the file name, the .onnx is not read.

Inference: model.eval(), torch.no_grad(), seeded standard-normal input [B, C, H, W]; each forward is
timed on its own.

Training (``--train``): one SGD step per iteration = zero_grad, forward in train mode (BatchNorm uses batch
statistics and updates its running statistics), cross-entropy loss against seeded random labels, backward,
SGD update with lr 0.01, momentum 0.9, no weight decay, no nesterov. The input batch and labels are fixed,
so the data pipeline is not measured.

Threads: torch.set_num_threads(T), torch.set_num_interop_threads(1); OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS are set to T before torch is imported.

Timing: W untimed iterations, then at least I timed ones, continuing until S seconds of timed iterations.
Prints ONE JSON line:
    {"runtime":"pytorch","version","model","batch","threads","mode","median_ms","p90_ms","mean_ms",
     "min_ms","images_per_s","iters","input_shape"}
images_per_s = batch / median seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--arch", help="model name, e.g. resnet20, resnet18, mobilenet_v2")
    which.add_argument("--model", help="NAME.onnx path; only NAME is used, to pick the architecture")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--min-seconds", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--train", action="store_true", help="time SGD training steps instead of inference")
    args = parser.parse_args(argv)
    for name in ("batch", "threads", "iters"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    if args.model is not None:
        base = os.path.basename(args.model)
        args.arch = base[: -len(".onnx")] if base.endswith(".onnx") else base
    return args


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy.percentile's default), rank = p/100 * (n-1)."""
    rank = p / 100 * (len(sorted_values) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (rank - lo) * (sorted_values[hi] - sorted_values[lo])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Thread pools read these at load time, so they must be set before torch (and its BLAS) is imported.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

    import numpy as np
    import torch
    from torch import nn

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from export_models import MODELS, build_model, seeded_input

    if args.arch not in MODELS:
        print(f"unknown model {args.arch!r}; known: {', '.join(MODELS)}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    model = build_model(args.arch, args.seed)
    x = torch.from_numpy(seeded_input(args.arch, args.batch, args.seed + 3))

    if args.train:
        model.train()
        classes = model(x[:2]).shape[1]
        labels = torch.from_numpy(np.random.default_rng(args.seed + 4).integers(0, classes, args.batch))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), labels)
            loss.backward()
            optimizer.step()

    else:
        model.eval()

        def step() -> None:
            with torch.no_grad():
                model(x)

    for _ in range(args.warmup):
        step()
    times: list[float] = []
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        step()
        t1 = time.perf_counter()
        times.append((t1 - t0) * 1000)
        if len(times) >= args.iters and t1 - started >= args.min_seconds:
            break

    ordered = sorted(times)
    median = percentile(ordered, 50)
    print(
        json.dumps(
            {
                "runtime": "pytorch",
                "version": torch.__version__,
                "model": args.arch,
                "batch": args.batch,
                "threads": args.threads,
                "mode": "train" if args.train else "inference",
                "median_ms": round(median, 3),
                "p90_ms": round(percentile(ordered, 90), 3),
                "mean_ms": round(sum(times) / len(times), 3),
                "min_ms": round(ordered[0], 3),
                "images_per_s": round(args.batch * 1000 / median, 3),
                "iters": len(times),
                "input_shape": list(x.shape),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
