"""PyTorch reference for `npm run bench`: the same reverse-pass work as Gradient Lens's report,
on the same ONNX model, the same input batch and the same block boundaries, timed.

The model is run by a tiny interpreter of the ONNX graph (the ops the bench models use) on
torch tensors, so both tools compute with the same weights. The block boundaries and the
residual tensors are read from Gradient Lens's own report of the same run, so both do the
same set of VJPs; the random probes differ (different generators), the numbers agree up to
the probes' sampling error (the bench records the largest relative difference of the GSCs).

What it implements, per metrics.md, as analyze.ts does it:
  1. one forward pass of the batch that keeps the autograd graph (weights do not require
     grad, so no weight gradients are computed; the input does, so every boundary is in the
     graph);
  2. GSC to the output: P Gaussian probes (or the d one-hot cotangents in exact mode) on the
     reference output, each one VJP to every boundary at once; per-sample squares -> GSC;
  3. the block matrix: for each boundary l = 1..B-1, P VJPs from l to boundaries 0..l-1;
  4. per residual block (k_skip's GSCs): P probes u on the merge tensor, one VJP of u from
     the branch tensor and one from the skip tensor to the block input (none for an identity
     skip, whose VJP is u); the merge's VJP is their sum, since merge = skip + branch (a merge
     that broadcasts falls back to P VJPs each from the merge, the branch and the skip);
  5. per block the linearisation: S v_i for every sample exactly, by forward mode through the
     block's nodes with Gradient Lens's algorithm (exact_linear_part; its default), and P VJPs
     from the block output to its input with one cotangent shared by all samples (which
     Gradient Lens also runs, to check the forward mode) -> Q||Sv||, Q||rho||, k_lin. Until
     2026-12-07 this step had the probes only, a second less work than Gradient Lens's report
     on the ResNet-18-sized model.
Exact mode is chosen as analyze.ts chooses it (d <= exactMaxDim or d <= probes). The VJPs of
one step are batched: all probes at once with autograd.grad(is_grads_batched=True) (vmap
over the backward), falling back to one call per probe where vmap cannot handle an op.
Not implemented: the collapsing-domain measures (forward-only statistics, negligible cost),
confidence intervals and the report assembly.

Usage: python3 bench/pytorch_reference.py <model.onnx> <input.bin> <report.json> <out.json>
Prints nothing on success; writes timings, peak RSS (ru_maxrss), the GSCs to the output, k_lin
and the residual parts' GSCs (merge, branch, skip per residual block) to out.json, with the
largest relative differences from Gradient Lens's GSCs to the output (sampling error) and
k_lin (float32 rounding where both are exact).
"""
import json
import math
import resource
import sys
import time

import numpy as np
import onnx
import onnx.numpy_helper
import torch

from onnx_torch import attrs_of, pads_arg, run_op
import torch.nn.functional as F


class OnnxInterpreter:
    """Runs an ONNX graph (opset 13 ops the bench models use) with torch ops."""

    def __init__(self, path):
        model = onnx.load(path)
        self.graph = model.graph
        self.consts = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in self.graph.initializer}
        for n in self.graph.node:
            if n.op_type == "Constant":
                self.consts[n.output[0]] = torch.from_numpy(onnx.numpy_helper.to_array(attrs_of(n)["value"]).copy())
        self.input_name = next(i.name for i in self.graph.input if i.name not in self.consts)

    def forward(self, x):
        env = dict(self.consts)
        env[self.input_name] = x
        for n in self.graph.node:
            if n.op_type == "Constant":
                continue
            ins = [env[i] if i else None for i in n.input]
            out = run_op(n.op_type, ins, attrs_of(n))
            env[n.output[0]] = out
        return env


def per_sample_squares(g):
    return g.reshape(g.shape[0], -1).square().sum(1)


def vjps(target, cotangents, wrt):
    """[P, n, ...] cotangents on `target` -> per wrt tensor its [P, n, ...] VJPs, all probes at once."""
    try:
        return torch.autograd.grad(target, wrt, cotangents, retain_graph=True, is_grads_batched=True, allow_unused=True)
    except RuntimeError:
        per_probe = [torch.autograd.grad(target, wrt, c, retain_graph=True, allow_unused=True) for c in cotangents]
        return [torch.stack([p[j] if p[j] is not None else torch.zeros_like(wrt[j]) for p in per_probe]) for j in range(len(wrt))]


# Ops of the bench models by how a tangent goes through them (src/ops kernels' affine,
# elementwiseNonlinearity and holdsWeights facts, for these ops).
DIAGONAL = {"Relu", "Clip", "Tanh", "Sigmoid", "Selu", "Erf"}
AFFINE = {"Conv", "BatchNormalization", "Gemm", "MatMul", "Add", "Sub", "Mul", "Identity", "Flatten", "Reshape",
          "Transpose", "Concat", "GlobalAveragePool", "AveragePool", "ReduceMean"}
LINEAR_IN_ALL = {"Add", "Sub", "Concat", "Identity"}


def tangent_rows(t, per, slope, n):
    """A tangent (Reference._through_block) as [n * n, ...] rows, direction-major."""
    if per:
        return t
    wide = t[:, None] * slope[None] if slope is not None else t[:, None].expand(n, n, *t.shape[1:])
    return wide.reshape(n * n, *t.shape[1:])


def averaged_over_points(t, per, slope, n):
    """A tangent's mean over the points j, [n, ...]."""
    if slope is not None:
        return t * slope.mean(0, keepdim=True)
    return t.reshape(n, n, *t.shape[1:]).mean(1) if per else t


class Reference:
    def __init__(self, env, settings, interp):
        self.interp = interp
        self.env = env
        self.probes = settings["probes"]
        self.exact_max = settings["exactMaxDim"]
        self.exact_setting = settings["exact"]
        self.gen = torch.Generator().manual_seed(settings["seed"])

    def dim(self, name):
        t = self.env[name]
        return t.numel() // t.shape[0]

    def exact(self, d):
        return self.exact_setting == "on" or (self.exact_setting == "auto" and (d <= self.exact_max or d <= self.probes))

    def cotangents(self, y, shared):
        """The P probes (or d one-hot cotangents) for target y, [P, n, ...]; shared: one u for every sample."""
        n, d = y.shape[0], y.numel() // y.shape[0]
        if self.exact(d):
            eye = torch.eye(d, dtype=y.dtype)
            c = eye[:, None, :].expand(d, n, d)
        elif shared:
            c = torch.randn(self.probes, 1, d, generator=self.gen).expand(self.probes, n, d)
        else:
            c = torch.randn(self.probes, n, d, generator=self.gen)
        return c.reshape(c.shape[0], *y.shape).contiguous(), self.exact(d)

    def jacobian_squares(self, target, wrt):
        """Per wrt tensor: mean over samples of ||J^T u||^2 per probe (exact: summed over one-hots)."""
        y = self.env[target]
        c, exact = self.cotangents(y, shared=False)
        gs = vjps(y, c, [self.env[w] for w in wrt])
        out = {}
        for w, g in zip(wrt, gs):
            sq = g.reshape(g.shape[0], g.shape[1], -1).square().sum(2)  # [P, n]
            out[w] = (sq.sum(0, keepdim=True) if exact else sq).detach()
        return out

    def residual_squares(self, inp, merge, branch, skip):
        """merge, branch and skip squares (as jacobian_squares) from the same cotangents on the merge."""
        y, x = self.env[merge], self.env[inp]
        if self.env[branch].shape != y.shape or self.env[skip].shape != y.shape:
            parts = (("merge", merge), ("branch", branch), ("skip", skip))
            return {part: self.jacobian_squares(t, [inp])[inp] for part, t in parts if t != inp}
        c, exact = self.cotangents(y, shared=False)
        (g_branch,) = vjps(self.env[branch], c, [x])
        g_skip = c if skip == inp else vjps(self.env[skip], c, [x])[0]
        out = {}
        for part, g in (("merge", g_branch + g_skip), ("branch", g_branch), ("skip", g_skip)):
            sq = g.reshape(g.shape[0], g.shape[1], -1).square().sum(2)  # [P, n]
            out[part] = (sq.sum(0, keepdim=True) if exact else sq).detach()
        return out

    def gsc(self, squares, k, l):
        """Batch GSC(k -> l) from the per-probe, per-sample squares."""
        t = squares.mean(1).mean().item()
        qk = per_sample_squares(self.env[k].detach()).mean().sqrt().item()
        ql = per_sample_squares(self.env[l].detach()).mean().sqrt().item()
        return math.sqrt(t / self.dim(k)) * qk / ql

    def linearise(self, v_name, f_name):
        """k_lin of a block. As Gradient Lens does by default: S v_i measured exactly by forward
        mode (exact_linear_part), and the shared-cotangent probes, which Gradient Lens also runs
        (they check the forward mode and give ||S||_F); k_lin from the exact part when the
        block allows it, else from the probes."""
        v, f = self.env[v_name], self.env[f_name]
        n = v.shape[0]
        c, exact = self.cotangents(f, shared=True)
        (g,) = vjps(f, c, [v])
        sv_exact = None if exact else self.exact_linear_part(v_name, f_name)
        with torch.no_grad():
            w = g.reshape(g.shape[0], n, -1).mean(1)  # [P, dIn]
            b = v.reshape(n, -1) @ w.t()  # [n, P]
            a = f.reshape(n, -1) @ c[:, 0].reshape(c.shape[0], -1).t()
            reduce = (lambda z: z.sum().item()) if exact else (lambda z: z.mean(0).mean().item())
            sv = reduce(b.square())
            rho = reduce((a - b).square())
            if sv_exact is not None:
                sv = sv_exact.square().sum().item() / n
                rho = (f.detach().reshape(n, -1) - sv_exact).square().sum().item() / n
        return math.sqrt(sv / rho) if rho > 0 else None

    def exact_linear_part(self, v_name, f_name):
        """S v_i = (1/n) sum_j J_f(v_j) v_i for every sample i ([n, dOut]), by forward-mode
        differentiation through the block's nodes, the algorithm of Gradient Lens's
        src/metrics/blockJvp.ts: an affine node maps a tangent by op(t) - op(0); an elementwise
        nonlinearity multiplies it by its slope at each point (kept apart, lazily, until needed);
        MaxPool takes it at each point's arg-max. A tangent is the same at every point until the
        first nonlinearity (n rows), per point (n * n rows) while a nonlinearity follows, and
        averaged over the points as soon as none does. None when the block holds another op."""
        nodes = [nd for nd in self.interp.graph.node if nd.op_type != "Constant"]
        reach, candidates = {v_name}, []
        for nd in nodes:
            if any(i in reach for i in nd.input):
                reach.update(nd.output)
                candidates.append(nd)
        if f_name not in reach:
            return None
        needed, chosen = {f_name}, []
        for nd in reversed(candidates):
            if any(o in needed for o in nd.output):
                chosen.append(nd)
                needed.update(i for i in nd.input if i in reach)
        chosen.reverse()
        steps = []
        for nd in chosen:
            tin = [j for j, i in enumerate(nd.input) if i in reach]
            # A data input that does not carry the tangent (a product of two activations): no rule here.
            if any(i and i not in reach and i not in self.interp.consts for i in nd.input):
                return None
            if nd.op_type in DIAGONAL and tin == [0]:
                steps.append((nd, "diagonal", tin))
            elif nd.op_type == "MaxPool" and tin == [0]:
                steps.append((nd, "maxpool", tin))
            elif nd.op_type in AFFINE and (len(tin) == 1 or nd.op_type in LINEAR_IN_ALL):
                steps.append((nd, "affine", tin))
            else:
                return None
        per_point = set()
        for nd, rule, tin in reversed(steps):
            if rule != "affine" or nd.output[0] in per_point:
                per_point.update(nd.input[j] for j in tin)
        try:
            return self._through_block(steps, per_point, v_name, f_name)
        except RuntimeError:
            # An op that cannot take the stacked rows (a batch baked into a Reshape).
            return None

    def _through_block(self, steps, per_point, v_name, f_name):
        """The tangents through the block's steps (exact_linear_part). A tangent is (t, per,
        slope): t [n, ...] the same at every point j, or [n * n, ...] per point (direction-major)
        when `per`; a slope [n, ...] still to multiply it by, per point, when not None."""
        env = {k: t.detach() for k, t in self.env.items()}
        n = env[v_name].shape[0]
        tangents = {v_name: (env[v_name], False, None)}
        with torch.no_grad():
            for nd, rule, tin in steps:
                a = attrs_of(nd)
                ins = [tangents[nd.input[j]] for j in tin]
                if rule == "diagonal":
                    z = env[nd.input[0]].clone().requires_grad_(True)
                    with torch.enable_grad():
                        y = run_op(nd.op_type, [z] + [env.get(i) if i else None for i in nd.input[1:]], a)
                        (slope,) = torch.autograd.grad(y, z, torch.ones_like(y))
                    t, per, s = ins[0]
                    if per:
                        out = ((t.reshape(n, n, *t.shape[1:]) * slope[None]).reshape(t.shape), True, None)
                    else:
                        out = (t, False, slope if s is None else s * slope)
                elif rule == "maxpool":
                    k = a["kernel_shape"]
                    z = env[nd.input[0]]
                    _, idx = F.max_pool2d(z, k, stride=a.get("strides", k), padding=pads_arg(a.get("pads"), len(k)),
                                          ceil_mode=bool(a.get("ceil_mode", 0)), return_indices=True)
                    cn, ho, wo = idx.shape[1:]
                    at = idx.reshape(1, n, cn, ho * wo)
                    t, per, s = ins[0]
                    if per:
                        g = t.reshape(n, n, cn, -1).gather(3, at.expand(n, n, cn, ho * wo))
                    else:
                        g = t.reshape(n, 1, cn, -1).expand(n, n, cn, t[0].numel() // cn).gather(3, at.expand(n, n, cn, ho * wo))
                        if s is not None:
                            g = g * s.reshape(1, n, cn, -1).gather(3, at)
                    out = (g.reshape(n * n, cn, ho, wo), True, None)
                else:
                    varies = [per or s is not None for t, per, s in ins]
                    others = [env.get(i) if i else None for i in nd.input]
                    ts = [tangent_rows(t, per, s, n) for t, per, s in ins] if any(varies) else [t for t, per, s in ins]
                    moved, zeros = list(others), list(others)
                    for j, t in zip(tin, ts):
                        moved[j] = t
                        zeros[j] = torch.zeros((1,) + tuple(t.shape[1:]), dtype=t.dtype)
                    out = (run_op(nd.op_type, moved, a) - run_op(nd.op_type, zeros, a), any(varies), None)
                t, per, s = out
                if (per or s is not None) and nd.output[0] not in per_point:
                    out = (averaged_over_points(t, per, s, n), False, None)
                tangents[nd.output[0]] = out
            t, per, s = tangents[f_name]
            last = averaged_over_points(t, per, s, n)
            return last.reshape(n, -1)


def main():
    model_path, input_path, report_path, out_path = sys.argv[1:5]
    torch.set_num_threads(2)
    with open(report_path) as fh:
        report = json.load(fh)
    settings = report["settings"]
    boundaries = [b["tensor"] for b in report["boundaries"]]
    blocks = report["blocks"]
    output = report["model"]["outputName"]
    shape = report["model"]["inputShape"]

    t_start = time.perf_counter()
    interp = OnnxInterpreter(model_path)
    x = torch.from_numpy(np.fromfile(input_path, dtype="<f4").reshape(shape).copy())
    t_loaded = time.perf_counter()

    x.requires_grad_(True)
    env = interp.forward(x)
    t_forward = time.perf_counter()
    ref = Reference(env, settings, interp)
    B = len(boundaries) - 1

    to_output = ref.jacobian_squares(output, boundaries[:B])
    gsc_to_output = [ref.gsc(to_output[boundaries[k]], boundaries[k], output) for k in range(B)] + [1.0]
    t_gsc = time.perf_counter()

    if settings.get("blockMatrix", True):
        for l in range(1, B):
            ref.jacobian_squares(boundaries[l], boundaries[:l])
    else:
        for l in range(1, B):
            ref.jacobian_squares(boundaries[l], [boundaries[l - 1]])
    t_matrix = time.perf_counter()

    k_lin = []
    residual_gsc = []
    for blk in blocks:
        res = blk.get("residual")
        if res:
            inp = blk["inputTensor"]
            parts = {"merge": res["mergeTensor"], "branch": res["branchTensor"], "skip": res["skipTensor"]}
            sq = ref.residual_squares(inp, parts["merge"], parts["branch"], parts["skip"])
            gscs = {part: 1.0 if t == inp else ref.gsc(sq[part], inp, t) for part, t in parts.items()}
            residual_gsc.append({"block": blk["index"], **gscs})
        k_lin.append(ref.linearise(blk["inputTensor"], blk["outputTensor"]))
    t_blocks = time.perf_counter()

    usage = resource.getrusage(resource.RUSAGE_SELF)
    ours = [b["gscToOutput"]["value"] for b in report["boundaries"]]
    rel = [abs(a - b) / abs(b) for a, b in zip(gsc_to_output, ours) if b]
    # k_lin is deterministic where both measure S v exactly (forward mode): a check of both.
    ours_k = [b["linearisation"]["kLin"] if b.get("linearisation") else None for b in blocks]
    rel_k = [abs(a - b) / abs(b) for a, b in zip(k_lin, ours_k) if a is not None and b]
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "loadMs": round(1000 * (t_loaded - t_start)),
        "forwardMs": round(1000 * (t_forward - t_loaded)),
        "gscToOutputMs": round(1000 * (t_gsc - t_forward)),
        "blockMatrixMs": round(1000 * (t_matrix - t_gsc)),
        "blocksMs": round(1000 * (t_blocks - t_matrix)),
        "analysisMs": round(1000 * (t_blocks - t_loaded)),
        "totalMs": round(1000 * (t_blocks - t_start)),
        "peakRssMb": round(usage.ru_maxrss / 1024),
        "cpuMs": round(1000 * (usage.ru_utime + usage.ru_stime)),
        "gscToOutput": gsc_to_output,
        "kLin": k_lin,
        "residualGsc": residual_gsc,
        "maxRelDiffGscToOutput": max(rel) if rel else 0.0,
        "maxRelDiffKLin": max(rel_k) if rel_k else 0.0,
    }
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
