"""
The two scale models of issue #16, exported by Debian's PyTorch 1.13 at opset 17 into a
folder given on the command line (default /tmp/gl-scale; they are not committed: 440 MB and
100 MB):

- bert_base.onnx: a BERT-base-sized encoder (12 post-LN layers, width 768, 12 heads, MLP 3072,
  vocabulary 30522, 512 positions, 2 segments) with input_ids, attention_mask and
  token_type_ids, sequence 128, output the last hidden state [batch, 128, 768] (as
  transformers' BertModel); seeded random weights (the numbers are not BERT's, the sizes are).
- resnet50.onnx: torchvision's ResNet-50 (random weights, seed 0), input [batch, 3, 224, 224].

Run: /usr/bin/python3 bench/gen_scale_models.py [/tmp/gl-scale] [--bert-layers N]
(--bert-layers N: only bert_base.onnx, with N layers instead of 12, for short profiling runs;
bench/scale-results.md used N = 2, a 4-block model of the same width and sequence).
Then: node bin/gradient-lens.js analyze /tmp/gl-scale/bert_base.onnx (defaults), and
resnet50.onnx likewise; bench/scale-results.md holds what this machine measured.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torchvision

WIDTH, HEADS, MLP, VOCAB, SEQ = 768, 12, 3072, 30522, 128
LAYERS = 12


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.out = nn.Linear(WIDTH, WIDTH)
        self.ln1 = nn.LayerNorm(WIDTH, eps=1e-12)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, MLP), nn.GELU(), nn.Linear(MLP, WIDTH))
        self.ln2 = nn.LayerNorm(WIDTH, eps=1e-12)

    def forward(self, x, bias):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split(WIDTH, dim=-1)
        split = lambda z: z.reshape(b, t, HEADS, WIDTH // HEADS).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(-1, -2) / math.sqrt(WIDTH // HEADS) + bias
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, WIDTH)
        x = self.ln1(x + self.out(ctx))
        return self.ln2(x + self.mlp(x))


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Embedding(512, WIDTH)
        self.seg = nn.Embedding(2, WIDTH)
        self.ln = nn.LayerNorm(WIDTH, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])

    def forward(self, input_ids, attention_mask, token_type_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        h = self.ln(self.word(input_ids) + self.pos(positions)[None] + self.seg(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * -10000.0
        for layer in self.layers:
            h = layer(h, bias)
        return h


def main():
    global LAYERS
    args = sys.argv[1:]
    bert_only = "--bert-layers" in args
    if bert_only:
        i = args.index("--bert-layers")
        LAYERS = int(args[i + 1])
        del args[i : i + 2]
    out = args[0] if args else "/tmp/gl-scale"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    bert = Bert().eval()
    ids = torch.randint(0, VOCAB, (1, SEQ))
    ones = torch.ones(1, SEQ, dtype=torch.int64)
    zeros = torch.zeros(1, SEQ, dtype=torch.int64)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        bert,
        (ids, ones, zeros),
        os.path.join(out, "bert_base.onnx"),
        opset_version=17,
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_axes={**{n: {0: "batch"} for n in names}, "last_hidden_state": {0: "batch"}},
    )
    if bert_only:
        print("bert_base.onnx", LAYERS, "layers,", os.path.getsize(os.path.join(out, "bert_base.onnx")) // 2**20, "MB")
        return
    torch.manual_seed(0)
    resnet = torchvision.models.resnet50().eval()
    torch.onnx.export(
        resnet,
        (torch.randn(1, 3, 224, 224),),
        os.path.join(out, "resnet50.onnx"),
        opset_version=17,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )
    for f in ["bert_base.onnx", "resnet50.onnx"]:
        print(f, os.path.getsize(os.path.join(out, f)) // 2**20, "MB")


if __name__ == "__main__":
    main()
