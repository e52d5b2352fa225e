"""The ONNX ops the bench models use, evaluated with torch ops: one small interpreter shared by
the PyTorch timing reference (bench/pytorch_reference.py, float32) and the exact k_lin reference
(bench/k_reference.py, float64). Written from the ONNX operator definitions, independently of
Gradient Lens's own kernels, so the references check them rather than repeat them.
"""
import math
import numpy as np
import onnx
import torch
import torch.nn.functional as F


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pads_arg(pads, rank):
    if not pads:
        return [0] * rank
    begin, end = list(pads[:rank]), list(pads[rank:])
    if begin != end:
        raise ValueError(f"asymmetric pads {pads} not supported")
    return begin


def run_op(op, ins, a):
    x = ins[0]
    if op == "Conv":
        rank = x.dim() - 2
        conv = F.conv2d if rank == 2 else F.conv1d
        return conv(x, ins[1], ins[2] if len(ins) > 2 and ins[2] is not None else None, stride=a.get("strides", [1] * rank),
                    padding=pads_arg(a.get("pads"), rank), dilation=a.get("dilations", [1] * rank), groups=a.get("group", 1))
    if op == "BatchNormalization":
        return F.batch_norm(x, ins[3], ins[4], ins[1], ins[2], training=False, eps=a.get("epsilon", 1e-5))
    if op == "LayerNormalization":
        axis = a.get("axis", -1) % x.dim()
        shape = list(x.shape[axis:])
        return F.layer_norm(x, shape, ins[1], ins[2] if len(ins) > 2 else None, eps=a.get("epsilon", 1e-5))
    if op == "Clip":
        lo = float(ins[1]) if len(ins) > 1 and ins[1] is not None else a.get("min", None)
        hi = float(ins[2]) if len(ins) > 2 and ins[2] is not None else a.get("max", None)
        # hardtanh, not clamp: its derivative is 0 at the bounds, the convention of Gradient Lens's
        # VJPs and JVPs (docs/metrics.md); clamp's is 1 there. It matters: a depthwise convolution
        # of a ReLU6 output whose window is all zeros, with a zero bias, lands exactly on the bound.
        return F.hardtanh(x, -math.inf if lo is None else lo, math.inf if hi is None else hi)
    if op == "Relu":
        return F.relu(x)
    if op == "Tanh":
        return torch.tanh(x)
    if op == "Sigmoid":
        return torch.sigmoid(x)
    if op == "Selu":
        return torch.selu(x)
    if op == "Erf":
        return torch.erf(x)
    if op == "Sqrt":
        return torch.sqrt(x)
    if op == "Identity":
        return x
    if op == "Add":
        return x + ins[1]
    if op == "Sub":
        return x - ins[1]
    if op == "Mul":
        return x * ins[1]
    if op == "Div":
        return x / ins[1]
    if op == "Pow":
        return torch.pow(x, ins[1])
    if op == "MatMul":
        return torch.matmul(x, ins[1])
    if op == "Gemm":
        w = ins[1].t() if a.get("transB", 0) else ins[1]
        xa = x.t() if a.get("transA", 0) else x
        y = a.get("alpha", 1.0) * (xa @ w)
        if len(ins) > 2 and ins[2] is not None:
            y = y + a.get("beta", 1.0) * ins[2]
        return y
    if op == "ReduceMean":
        axes = a.get("axes")
        if axes is None and len(ins) > 1:
            axes = [int(v) for v in ins[1].tolist()]
        return torch.mean(x, dim=list(axes), keepdim=bool(a.get("keepdims", 1)))
    if op == "Transpose":
        return x.permute(*a["perm"])
    if op == "Reshape":
        shape = [int(s) for s in ins[1].tolist()]
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return x.reshape(shape)
    if op == "Flatten":
        axis = a.get("axis", 1)
        return x.reshape(int(np.prod(x.shape[:axis])), -1)
    if op == "Concat":
        return torch.cat(ins, dim=a["axis"])
    if op == "Softmax":
        return torch.softmax(x, dim=a.get("axis", -1))
    if op == "GlobalAveragePool":
        return torch.mean(x, dim=list(range(2, x.dim())), keepdim=True)
    if op == "AveragePool":
        k = a["kernel_shape"]
        return F.avg_pool2d(x, k, stride=a.get("strides", k), padding=pads_arg(a.get("pads"), len(k)),
                            ceil_mode=bool(a.get("ceil_mode", 0)), count_include_pad=bool(a.get("count_include_pad", 0)))
    if op == "MaxPool":
        k = a["kernel_shape"]
        return F.max_pool2d(x, k, stride=a.get("strides", k), padding=pads_arg(a.get("pads"), len(k)),
                            ceil_mode=bool(a.get("ceil_mode", 0)))
    raise ValueError(f"op {op} not supported by the reference interpreter")
