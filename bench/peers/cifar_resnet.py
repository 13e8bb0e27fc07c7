"""CIFAR-style ResNet family (depth 6n+2) used as the shared reference network.

Elide builds the identical graph in C#, so weights and outputs can be compared
tensor by tensor. The layout follows He et al., "Deep Residual Learning for
Image Recognition" (2015), section 4.2, with one deliberate difference: the
shortcut that changes shape is a 1x1 strided convolution followed by batch
normalization (the paper's "option B"), not zero padding ("option A").

    stem:   Conv2d(in -> w, 3x3, stride 1, pad 1, no bias) -> BN -> ReLU
    stages: widths w, 2w, 4w; n BasicBlocks each; the first block of stages
            2 and 3 has stride 2
    block:  conv3x3(stride s) -> BN -> ReLU -> conv3x3 -> BN, plus shortcut
            (identity, or Conv2d 1x1 stride s -> BN), then ReLU of the sum
    head:   AdaptiveAvgPool2d(1) -> Flatten -> Linear(4w -> classes, bias)

Parameter names (``stem.0.weight``, ``stages.1.0.shortcut.1.running_mean``,
``head.2.bias`` ...) are part of the contract with the C# side; do not rename.
"""

from __future__ import annotations

import torch
from torch import nn

#: depth -> n (BasicBlocks per stage); depth = 6n + 2.
CIFAR_DEPTHS = {"resnet20": 3, "resnet32": 5, "resnet44": 7, "resnet56": 9, "resnet110": 18}


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution, padding 1, no bias (the following BatchNorm supplies the shift)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual shortcut: ReLU(branch(x) + shortcut(x))."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=False)
        self.conv2 = conv3x3(out_channels, out_channels, 1)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut: nn.Module = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.relu(self.bn1(self.conv1(x)))
        branch = self.bn2(self.conv2(branch))
        return self.relu(branch + self.shortcut(x))


class CifarResNet(nn.Module):
    """ResNet of depth 6n+2 for small images (28x28 or 32x32).

    Args:
        n: BasicBlocks per stage (resnet20: 3, resnet32: 5, resnet56: 9).
        width: channels of the first stage; stages use width, 2*width, 4*width.
        in_channels: channels of the input image.
        classes: number of output logits.
    """

    def __init__(self, n: int, width: int = 16, in_channels: int = 1, classes: int = 10) -> None:
        super().__init__()
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.stem = nn.Sequential(
            conv3x3(in_channels, width, 1),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=False),
        )
        stages = []
        in_ch = width
        for stage_index, stage_width in enumerate((width, 2 * width, 4 * width)):
            blocks = []
            for block_index in range(n):
                stride = 2 if stage_index > 0 and block_index == 0 else 1
                blocks.append(BasicBlock(in_ch, stage_width, stride))
                in_ch = stage_width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(1),
            nn.Linear(4 * width, classes, bias=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def cifar_resnet(name: str, in_channels: int = 1, classes: int = 10, width: int = 16) -> CifarResNet:
    """Builds ``resnet20`` / ``resnet32`` / ``resnet44`` / ``resnet56`` / ``resnet110`` by name."""
    if name not in CIFAR_DEPTHS:
        raise ValueError(f"unknown CIFAR ResNet {name!r}; known: {sorted(CIFAR_DEPTHS)}")
    return CifarResNet(CIFAR_DEPTHS[name], width=width, in_channels=in_channels, classes=classes)


if __name__ == "__main__":
    for arch in ("resnet20", "resnet56"):
        model = cifar_resnet(arch)
        params = sum(p.numel() for p in model.parameters())
        convs = sum(1 for m in model.modules() if isinstance(m, nn.Conv2d))
        out = model.eval()(torch.zeros(2, 1, 28, 28))
        print(f"{arch}: {params} parameters, {convs} convolutions, output {tuple(out.shape)}")
