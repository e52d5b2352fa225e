"""The small CIFAR-style ResNet that examples/resnet/model.onnx was exported from.

A torchvision-like ResNet with one BasicBlock per stage and the batch norms folded into the
convolutions (the exported graph has biased convolutions and no BatchNormalization). Its
module names are the ONNX node names of model.onnx: /stem/conv/Conv, /layer2/conv1/Conv,
/layer2/downsample/conv/Conv, /fc/Gemm, ... so Gradient Lens can place every analysed block
on the line that defines it.

    model = SmallResNet()            # 77,706 parameters
    torch.onnx.export(model, torch.randn(1, 3, 32, 32), "model.onnx", opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
"""
import sys

import torch
from torch import nn


class Stem(nn.Module):
    """3x3 convolution to `width` channels, then ReLU."""

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, width, kernel_size=3, stride=1, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv(x))


class Downsample(nn.Module):
    """1x1 strided convolution: the projection skip when a stage changes width or resolution."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions on the residual branch, added to the (projected) input, then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=1, padding=1)
        if stride != 1 or in_channels != out_channels:
            self.downsample = Downsample(in_channels, out_channels, stride)
        else:
            self.downsample = None
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.relu1(self.conv1(x)))
        skip = x if self.downsample is None else self.downsample(x)
        return self.relu2(out + skip)


class SmallResNet(nn.Module):
    """Stem, three stages of 16, 32 and 64 channels (the last two halve the resolution),
    global average pooling and a linear classifier over `num_classes`."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.stem = Stem(3, 16)
        self.layer1 = BasicBlock(16, 16, stride=1)
        self.layer2 = BasicBlock(16, 32, stride=2)
        self.layer3 = BasicBlock(32, 64, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.flatten(self.pool(x)))


if __name__ == "__main__":
    model = SmallResNet().eval()
    print(sum(p.numel() for p in model.parameters()), "parameters")
    out = sys.argv[1] if len(sys.argv) > 1 else "model.onnx"
    torch.onnx.export(model, torch.randn(1, 3, 32, 32), out, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", out)
