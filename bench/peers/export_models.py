"""Exports the benchmark models to ONNX with seeded random weights, plus a seeded input and PyTorch's output.

Usage:
    /usr/bin/python3 bench/peers/export_models.py --out DIR [--opset 17] [--seed 1234]
        [--models resnet20,resnet18,...] [--fold-bn]

For every model NAME it writes, into DIR:
    NAME.onnx         input "input" [batch, C, H, W] float32, output "logits" [batch, classes],
                      dynamic batch axis named "batch"
    NAME.input.npy    seeded standard-normal input, batch 2, float32
    NAME.output.npy   PyTorch eager output for that input (model.eval(), no_grad), float32

Weights come from each module's own initializer under a fixed seed; every BatchNorm then gets random
weight, bias, running_mean and running_var, so that folding BN into the convolution (or getting it
wrong) changes the numbers. Nothing is downloaded: torchvision models are built with weights=None.

By default the BatchNormalization nodes are KEPT in the ONNX graph (exported with
TrainingMode.PRESERVE on a model in eval mode), so a consumer's own Conv+BN folding is exercised.
``--fold-bn`` lets the exporter fold them instead (torch's eval-mode peephole pass).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import onnx
import torch
import torchvision
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cifar_resnet import cifar_resnet  # noqa: E402


@dataclass(frozen=True)
class ModelSpec:
    """How to build one benchmark model and what a single image looks like."""

    name: str
    build: Callable[[], nn.Module]
    image_shape: tuple[int, int, int]


def _tv(name: str) -> Callable[[], nn.Module]:
    # weights=None: random init, never touches the network.
    return lambda: getattr(torchvision.models, name)(weights=None)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("resnet20", lambda: cifar_resnet("resnet20"), (1, 28, 28)),
        ModelSpec("resnet56", lambda: cifar_resnet("resnet56"), (1, 28, 28)),
        ModelSpec("resnet18", _tv("resnet18"), (3, 224, 224)),
        ModelSpec("resnet50", _tv("resnet50"), (3, 224, 224)),
        ModelSpec("mobilenet_v2", _tv("mobilenet_v2"), (3, 224, 224)),
        ModelSpec("mobilenet_v3_small", _tv("mobilenet_v3_small"), (3, 224, 224)),
        ModelSpec("squeezenet1_1", _tv("squeezenet1_1"), (3, 224, 224)),
        ModelSpec("shufflenet_v2_x1_0", _tv("shufflenet_v2_x1_0"), (3, 224, 224)),
        ModelSpec("efficientnet_b0", _tv("efficientnet_b0"), (3, 224, 224)),
    )
}

#: Batch of the reference input/output pair written beside each model.
CHECK_BATCH = 2


def build_model(name: str, seed: int) -> nn.Module:
    """Builds MODELS[name] with seeded weights and randomized BatchNorm parameters and statistics, in eval mode."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    torch.manual_seed(seed)
    model = MODELS[name].build()
    randomize_batchnorm(model, seed + 1)
    return model.eval()


def randomize_batchnorm(model: nn.Module, seed: int) -> None:
    """Gives every BatchNorm random affine parameters and running statistics.

    Ranges keep each BN close to a unit-scale map (gamma in [0.5, 1.5], |beta| ~ 0.1, var in [0.5, 2])
    so deep networks neither explode nor collapse, while every channel still differs from identity.
    """
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            c = module.num_features
            with torch.no_grad():
                module.weight.copy_(0.5 + torch.rand(c, generator=generator))
                module.bias.copy_(0.1 * torch.randn(c, generator=generator))
                module.running_mean.copy_(0.1 * torch.randn(c, generator=generator))
                module.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=generator))


def seeded_input(name: str, batch: int, seed: int) -> np.ndarray:
    """Standard-normal float32 input of shape [batch, C, H, W] for MODELS[name]."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, *MODELS[name].image_shape), dtype=np.float32)


def export(name: str, out_dir: str, opset: int, seed: int, fold_bn: bool) -> str:
    """Exports one model and its reference input/output; returns a one-line summary."""
    model = build_model(name, seed)
    x = seeded_input(name, CHECK_BATCH, seed + 2)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()

    path = os.path.join(out_dir, f"{name}.onnx")
    torch.onnx.export(
        model,
        torch.from_numpy(x),
        path,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=opset,
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL if fold_bn else torch.onnx.TrainingMode.PRESERVE,
    )
    onnx_model = onnx.load(path)
    onnx.checker.check_model(onnx_model)
    np.save(os.path.join(out_dir, f"{name}.input.npy"), x)
    np.save(os.path.join(out_dir, f"{name}.output.npy"), y.astype(np.float32))

    ops: dict[str, int] = {}
    for node in onnx_model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    params = sum(p.numel() for p in model.parameters())
    return (
        f"{name:<20} input {list(MODELS[name].image_shape)} params {params:>9} nodes {len(onnx_model.graph.node):>4} "
        f"(Conv {ops.get('Conv', 0)}, BatchNormalization {ops.get('BatchNormalization', 0)}) "
        f"|out| max {np.abs(y).max():.3g} -> {path}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of: " + ", ".join(MODELS))
    parser.add_argument("--fold-bn", action="store_true", help="let the exporter fold BatchNorm into Conv")
    args = parser.parse_args(argv)

    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}")
    os.makedirs(args.out, exist_ok=True)
    # PRESERVE on an eval-mode model is an inference export; torch still warns about folding trainable parameters.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in names:
        start = time.perf_counter()
        line = export(name, args.out, args.opset, args.seed, args.fold_bn)
        print(f"{line} ({time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
