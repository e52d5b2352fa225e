# mlp_tanh: 50 x [dense 100, tanh] + dense 10; Xavier normal init, tanh gain 5/3.
# Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
# explained". Written by scripts/generate-examples.ts together with the model files next to it;
# their weights come from that script's seeded generator, not from the initialisers below.
import torch
from torch import nn


class Block(nn.Module):
    """dense -> tanh: one analysed block."""

    def __init__(self, width: int):
        super().__init__()
        self.dense = nn.Linear(width, width)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.dense(x))


class Model(nn.Module):
    def __init__(self, depth: int = 50, width: int = 100, classes: int = 10):
        super().__init__()
        self.blocks = nn.Sequential(*[Block(width) for _ in range(depth)])
        self.head = nn.Linear(width, classes)
        for name, m in self.named_modules():
            if isinstance(m, nn.Linear) and name != 'head':
                nn.init.xavier_normal_(m.weight, gain=nn.init.calculate_gain('tanh'))
        nn.init.kaiming_normal_(self.head.weight, nonlinearity='linear')  # LeCun normal, like the fixtures

    def forward(self, x):
        return self.head(self.blocks(x))


if __name__ == "__main__":
    # Writes an ONNX file of the same structure and names (with freshly initialised weights).
    model = Model().eval()
    torch.onnx.export(model, torch.randn(16, 100), "model-from-torch.onnx", input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
