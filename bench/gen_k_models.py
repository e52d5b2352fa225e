"""Models like issue 15's hidden ones, for bench/k_reference.py: torchvision ResNet-18,
MobileNetV2, SqueezeNet 1.1 and VGG-11-BN at 64x64, randomly initialised with a fixed seed
(torchvision's own initialisers), in eval mode, exported to ONNX opset 17 with a dynamic batch
axis, plus input batches (16 N(0, 1) samples per seed, float32 little-endian, NCHW).

They are too big to commit: they go to bench/models/k/ (git-ignored).
Usage: python3 bench/gen_k_models.py [--seeds 3] [--out bench/models/k]
Needs torch and torchvision (Debian: python3-torch, python3-torchvision).
"""
import argparse
import os

import numpy as np
import torch
import torchvision

MODELS = {
    "resnet18": torchvision.models.resnet18,
    "mobilenet_v2": torchvision.models.mobilenet_v2,
    "squeezenet1_1": torchvision.models.squeezenet1_1,
    "vgg11_bn": torchvision.models.vgg11_bn,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "models", "k"))
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, make in MODELS.items():
        torch.manual_seed(15)
        model = make(weights=None)
        if name == "vgg11_bn":
            # At 64x64 the features end at 2x2, which ONNX cannot adapt-pool to VGG's 7x7: the
            # pool is dropped and the first dense layer takes the 512x2x2 features, initialised
            # as torchvision initialises VGG's dense layers.
            model.avgpool = torch.nn.Identity()
            model.classifier[0] = torch.nn.Linear(512 * (args.size // 32) ** 2, 4096)
            torch.nn.init.normal_(model.classifier[0].weight, 0, 0.01)
            torch.nn.init.zeros_(model.classifier[0].bias)
        model = model.eval()
        path = os.path.join(args.out, f"{name}.onnx")
        if not os.path.exists(path):
            torch.onnx.export(
                model,
                torch.randn(1, 3, args.size, args.size),
                path,
                opset_version=17,
                input_names=["input"],
                output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            )
        print(name, path)
    for seed in range(1, args.seeds + 1):
        x = np.random.default_rng(seed).standard_normal((16, 3, args.size, args.size)).astype("<f4")
        x.tofile(os.path.join(args.out, f"input-{args.size}-seed{seed}.bin"))
    for seed in range(1, args.seeds + 1):
        x = np.random.default_rng(seed).standard_normal((16, 100)).astype("<f4")
        x.tofile(os.path.join(args.out, f"input-mlp-seed{seed}.bin"))


if __name__ == "__main__":
    main()
