# linear_orthogonal: 50 orthogonal 100x100 linear layers, no bias, no activation.
# Gradient Lens example for Figure 1 of "Gradients explode - Deep Networks are shallow - ResNet
# explained". Written by scripts/generate-examples.ts together with the model files next to it;
# their weights come from that script's seeded generator, not from the initialisers below.
import torch
from torch import nn


class Model(nn.Module):
    """A deep linear network with orthogonal weights: every GSC is exactly 1."""

    def __init__(self, depth: int = 50, width: int = 100):
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear(width, width, bias=False) for _ in range(depth)])
        for m in self.layers:
            nn.init.orthogonal_(m.weight)

    def forward(self, x):
        return self.layers(x)


if __name__ == "__main__":
    # Writes an ONNX file of the same structure and names (with freshly initialised weights).
    model = Model().eval()
    torch.onnx.export(model, torch.randn(16, 100), "model-from-torch.onnx", input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=17)
