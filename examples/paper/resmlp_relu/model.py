# resmlp_relu: dense 100, 25 x [x + W2 relu(W1 x)], dense 10; He init for W1, LeCun for W2 and the outer layers.
# Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
# explained". Written by scripts/generate-examples.ts together with the model files next to it;
# their weights come from that script's seeded generator, not from the initialisers below.
import torch
from torch import nn


class ResidualBlock(nn.Module):
    """x + fc2(relu(fc1(x))): an identity skip around a two-layer ReLU branch."""

    def __init__(self, width: int):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(width, width)
        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')
        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity='linear')

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


class Model(nn.Module):
    def __init__(self, units: int = 25, width: int = 100, classes: int = 10):
        super().__init__()
        self.inp = nn.Linear(width, width)
        self.blocks = nn.Sequential(*[ResidualBlock(width) for _ in range(units)])
        self.head = nn.Linear(width, classes)
        nn.init.kaiming_normal_(self.inp.weight, nonlinearity='linear')
        nn.init.kaiming_normal_(self.head.weight, nonlinearity='linear')

    def forward(self, x):
        return self.head(self.blocks(self.inp(x)))


if __name__ == "__main__":
    # Writes an ONNX file of the same structure and names (with freshly initialised weights).
    model = Model().eval()
    torch.onnx.export(model, torch.randn(16, 100), "model-from-torch.onnx", input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
