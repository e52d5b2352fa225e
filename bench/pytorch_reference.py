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
  5. per block the linearisation: P VJPs from the block output to its input with one
     cotangent shared by all samples -> Q||Sv||, Q||rho||, k_lin.
Exact mode is chosen as analyze.ts chooses it (d <= exactMaxDim or d <= probes). The VJPs of
one step are batched: all probes at once with autograd.grad(is_grads_batched=True) (vmap
over the backward), falling back to one call per probe where vmap cannot handle an op.
Not implemented: the collapsing-domain measures (forward-only statistics, negligible cost),
confidence intervals and the report assembly.

Usage: python3 bench/pytorch_reference.py <model.onnx> <input.bin> <report.json> <out.json>
Prints nothing on success; writes timings, peak RSS (ru_maxrss), the GSCs to the output, k_lin
and the residual parts' GSCs (merge, branch, skip per residual block) to out.json.
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

from onnx_torch import attrs_of, run_op


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


class Reference:
    def __init__(self, env, settings):
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
        v, f = self.env[v_name], self.env[f_name]
        n = v.shape[0]
        c, exact = self.cotangents(f, shared=True)
        (g,) = vjps(f, c, [v])
        with torch.no_grad():
            w = g.reshape(g.shape[0], n, -1).mean(1)  # [P, dIn]
            b = v.reshape(n, -1) @ w.t()  # [n, P]
            a = f.reshape(n, -1) @ c[:, 0].reshape(c.shape[0], -1).t()
            reduce = (lambda z: z.sum().item()) if exact else (lambda z: z.mean(0).mean().item())
            sv = reduce(b.square())
            rho = reduce((a - b).square())
        return math.sqrt(sv / rho) if rho > 0 else None


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
    ref = Reference(env, settings)
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
    }
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
