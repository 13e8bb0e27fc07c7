#!/usr/bin/python3
"""Reference gradients of a CIFAR ResNet training step in PyTorch (float64), for TorchParityTests.

Usage: torch_resnet_gradients.py DIR
DIR/manifest.json describes the network and lists tensors; each tensor NAME is stored in DIR/NAME.f32 as raw
little-endian float32 in row-major order (labels in labels.i32 as int32). Writes DIR/NAME.grad.f64 for every
parameter, and logits.f64, loss.f64, NAME.running_mean.f64 / NAME.running_var.f64 after the step.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def main(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)

    def load(name, shape, dtype=np.float32, suffix=".f32"):
        data = np.fromfile(os.path.join(directory, name + suffix), dtype=dtype)
        return data.reshape(shape)

    params = {}
    for entry in manifest["parameters"]:
        t = torch.tensor(load(entry["name"], entry["shape"]), dtype=torch.float64, requires_grad=True)
        params[entry["name"]] = t
    stats = {}
    for entry in manifest["batchnorms"]:
        mean = torch.tensor(load(entry["name"] + ".running_mean", [entry["channels"]]), dtype=torch.float64)
        var = torch.tensor(load(entry["name"] + ".running_var", [entry["channels"]]), dtype=torch.float64)
        stats[entry["name"]] = (mean, var)
    images = torch.tensor(load("images", manifest["images_shape"]), dtype=torch.float64)
    labels = torch.tensor(load("labels", [manifest["images_shape"][0]], np.int32, ".i32"), dtype=torch.int64)
    momentum, eps = manifest["momentum"], manifest["epsilon"]

    def conv_bn(name, x, stride, padding):
        y = F.conv2d(x, params[name + ".weight"], stride=stride, padding=padding)
        mean, var = stats[name + ".bn"]
        return F.batch_norm(y, mean, var, params[name + ".bn.weight"], params[name + ".bn.bias"],
                            training=True, momentum=momentum, eps=eps)

    h = F.relu(conv_bn("stem.conv", images, 1, 1))
    for block in manifest["blocks"]:
        if not block["kept"]:
            continue  # Stochastic Depth: a dropped block is the identity
        p, stride = block["prefix"], block["stride"]
        branch = conv_bn(p + ".conv2", F.relu(conv_bn(p + ".conv1", h, stride, 1)), 1, 1)
        shortcut = conv_bn(p + ".shortcut", h, stride, 0) if block["projection"] else h
        h = F.relu(branch + shortcut)
    logits = F.linear(h.mean(dim=(2, 3)), params["fc.weight"], params["fc.bias"])
    loss = F.cross_entropy(logits, labels, label_smoothing=manifest["label_smoothing"])
    loss.backward()

    def save(name, tensor):
        tensor.detach().numpy().astype("<f8").tofile(os.path.join(directory, name + ".f64"))

    save("logits", logits)
    save("loss", loss.reshape(1))
    for name, t in params.items():
        save(name + ".grad", t.grad if t.grad is not None else torch.zeros_like(t))
    for name, (mean, var) in stats.items():
        save(name + ".running_mean", mean)
        save(name + ".running_var", var)


if __name__ == "__main__":
    main(sys.argv[1])
