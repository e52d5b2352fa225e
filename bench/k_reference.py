"""Exact k_lin per block in float64, independently of Gradient Lens, and how close a report's
k_lin comes to it (issue 15).

docs/metrics.md, "k_lin": for a block with input v and output f, over the batch v_1 .. v_n,

    S v_i = (1/n) sum_j J_f(v_j) v_i,   rho_i = f(v_i) - S v_i,
    k_lin = sqrt(mean_i ||S v_i||^2) / sqrt(mean_i ||rho_i||^2)   (linear when Q||rho|| <= 1e-5 Q||f||)

Here all n^2 products J_f(v_j) v_i are computed exactly by forward-mode automatic
differentiation (torch.autograd.forward_ad; the double-VJP trick where an op has no forward
derivative), in float64, on the block alone: the ONNX graph is evaluated by a small interpreter
of its own (torch ops, float64 weights), the block's nodes are those between its input and
output tensors, and the batch of points v_j is repeated once per tangent v_i. No finite
differences, no probes. The block boundaries are the tensors named by Gradient Lens's report
of the same run (blocks[].inputTensor / outputTensor), so both measure the same blocks.

Usage:
  python3 bench/k_reference.py exact <model.onnx> <input.bin> <report.json> <out.json>
  python3 bench/k_reference.py summary <results.json> <label> <model>:<report.json>:<exact.json> ...
      compares the reports' k_lin with the exact values (an <exact.log> of an unfinished reference
      run counts the blocks it printed) and writes, under <label> in
      <results.json>: blocks, median relative error, share within 10% (and 5%), coverage of the
      99% intervals (estimated blocks only), the median relative half-width and the misses.
Needs torch, onnx, numpy (Debian: python3-torch, python3-onnx).
"""
import json
import math
import sys
import time

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.autograd.forward_ad as fwAD
from onnx_torch import attrs_of, run_op

LINEAR_RHO_FRACTION = 1e-5
# Rows x elements per sample of one chunk of the stacked n^2 batch (float64: 8 bytes each).
CHUNK_ELEMENTS = 2**23


class Graph:
    """An ONNX graph run with torch ops in float64."""

    def __init__(self, path):
        g = onnx.load(path).graph
        self.nodes = list(g.node)
        self.consts = {}
        for t in g.initializer:
            self.consts[t.name] = self.tensor(onnx.numpy_helper.to_array(t))
        for n in self.nodes:
            if n.op_type == "Constant":
                self.consts[n.output[0]] = self.tensor(onnx.numpy_helper.to_array(attrs_of(n)["value"]))
        self.input_name = next(i.name for i in g.input if i.name not in self.consts)
        self.nodes = [n for n in self.nodes if n.op_type != "Constant"]

    @staticmethod
    def tensor(a):
        t = torch.from_numpy(np.array(a).copy())
        return t.double() if t.is_floating_point() else t

    def run(self, env, nodes):
        for n in nodes:
            env[n.output[0]] = run_op(n.op_type, [env[i] if i else None for i in n.input], attrs_of(n))
        return env

    def forward(self, x):
        return self.run({**self.consts, self.input_name: x}, self.nodes)

    def block_nodes(self, inp, out):
        """The nodes that depend on `inp` and that `out` depends on, in graph order."""
        downstream = {inp}
        deps = []
        for n in self.nodes:
            if any(i in downstream for i in n.input):
                downstream.add(n.output[0])
                deps.append(n)
        needed = {out}
        keep = []
        for n in reversed(deps):
            if n.output[0] in needed:
                keep.append(n)
                needed.update(n.input)
        return list(reversed(keep))


def block_function(graph, env, inp, out):
    nodes = graph.block_nodes(inp, out)
    if not nodes and inp != out:
        raise ValueError(f"no path from {inp} to {out}")

    def f(v):
        local = dict(env)
        local[inp] = v
        return graph.run(local, nodes)[out]

    return f


def jvp(f, x, t):
    """J_f(x) t, exactly: forward mode, or the double-VJP trick as a fallback."""
    try:
        with fwAD.dual_level():
            y = f(fwAD.make_dual(x, t))
            return fwAD.unpack_dual(y).tangent.detach()
    except (RuntimeError, NotImplementedError):
        xg = x.detach().requires_grad_(True)
        with torch.enable_grad():
            y = f(xg)
            u = torch.zeros_like(y, requires_grad=True)
            (g,) = torch.autograd.grad(y, xg, u, create_graph=True)
            (jt,) = torch.autograd.grad(g, u, t)
        return jt.detach()


def exact_linearisation(f, v):
    """S v_i for every i from all n^2 exact JVPs, then Q||S v||, Q||rho||, Q||f||, k_lin."""
    n = v.shape[0]
    with torch.no_grad():
        fv = f(v)
    per_sample = max(fv[0].numel(), v[0].numel())
    chunk = max(1, min(n, CHUNK_ELEMENTS // (per_sample * n)))
    rows = []
    for i0 in range(0, n, chunk):
        c = min(chunk, n - i0)
        points = v.unsqueeze(0).expand(c, *v.shape).reshape(c * n, *v.shape[1:])
        tangents = v[i0:i0 + c].unsqueeze(1).expand(c, n, *v.shape[1:]).reshape(c * n, *v.shape[1:])
        jv = jvp(f, points.contiguous(), tangents.contiguous())
        rows.append(jv.reshape(c, n, -1).mean(1))
    sv = torch.cat(rows, 0)
    fflat = fv.reshape(n, -1)
    q_sv = sv.square().sum(1).mean().sqrt().item()
    q_rho = (fflat - sv).square().sum(1).mean().sqrt().item()
    q_f = fflat.square().sum(1).mean().sqrt().item()
    linear = q_rho <= LINEAR_RHO_FRACTION * q_f
    return {"qSv": q_sv, "qRho": q_rho, "qF": q_f, "linear": linear, "kLin": None if linear else q_sv / q_rho}


def exact_main(model_path, input_path, report_path, out_path):
    torch.set_num_threads(int(__import__("os").environ.get("THREADS", "2")))
    with open(report_path) as fh:
        report = json.load(fh)
    graph = Graph(model_path)
    shape = report["model"]["inputShape"]
    x = torch.from_numpy(np.fromfile(input_path, dtype="<f4").reshape(shape).copy()).double()
    t0 = time.perf_counter()
    with torch.no_grad():
        env = graph.forward(x)
    blocks = []
    for blk in report["blocks"]:
        inp, out = blk["inputTensor"], blk["outputTensor"]
        tb = time.perf_counter()
        res = exact_linearisation(block_function(graph, env, inp, out), env[inp])
        blocks.append({"index": blk["index"], "name": blk.get("name"), "input": inp, "output": out, **res,
                       "ms": round(1000 * (time.perf_counter() - tb))})
        print(f"block {blk['index']}: k_lin {res['kLin']} ({blocks[-1]['ms']} ms)", file=sys.stderr)
    with open(out_path, "w") as fh:
        json.dump({"model": model_path, "input": input_path, "report": report_path, "torch": torch.__version__,
                   "ms": round(1000 * (time.perf_counter() - t0)), "blocks": blocks}, fh, indent=1)


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def summary_main(results_path, label, specs):
    rows = []
    for spec in specs:
        model, report_path, exact_path = spec.split(":")
        with open(report_path) as fh:
            report = json.load(fh)
        with open(exact_path) as fh:
            if exact_path.endswith(".log"):
                # An unfinished reference run: the blocks it printed so far ("block i: k_lin v (t ms)").
                exact = {}
                for line in fh:
                    if line.startswith("block "):
                        index, rest = line[6:].split(": k_lin ")
                        value = rest.split(" (")[0]
                        exact[int(index)] = {"kLin": None if value == "None" else float(value)}
            else:
                exact = {b["index"]: b for b in json.load(fh)["blocks"]}
        for blk in report["blocks"]:
            lin = blk["linearisation"]
            ref = exact.get(blk["index"])
            if ref is None:
                continue
            if "input" in ref and (ref["input"], ref["output"]) != (blk["inputTensor"], blk["outputTensor"]):
                raise ValueError(f"{exact_path}: block {blk['index']} is not the report's")
            if ref["kLin"] is None or lin["kLin"] is None:
                continue
            rows.append({"model": model, "report": report_path, "block": blk["index"], "exact": ref["kLin"], "value": lin["kLin"],
                         "ci99": lin.get("kLinCi99"), "method": lin["qSv"]["method"],
                         "precision": lin.get("kLinPrecision")})
    errors = [abs(r["value"] - r["exact"]) / abs(r["exact"]) for r in rows]
    estimated = [r for r in rows if r["method"] != "exact" and r["ci99"] is not None]
    covers = [r["ci99"][0] <= r["exact"] <= r["ci99"][1] for r in estimated]
    by_model = {}
    for r, e in zip(rows, errors):
        m = by_model.setdefault(r["model"], {"blocks": 0, "errors": []})
        m["blocks"] += 1
        m["errors"].append(e)
    out = {
        "label": label,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runs": len(specs),
        "blocks": len(rows),
        "medianRelError": median(errors),
        "maxRelError": max(errors),
        "within10": sum(e <= 0.1 for e in errors) / len(errors),
        "within5": sum(e <= 0.05 for e in errors) / len(errors),
        "estimatedBlocks": len(estimated),
        "coverage99": sum(covers) / len(covers) if covers else None,
        "medianRelHalfWidth99": median([(r["ci99"][1] - r["ci99"][0]) / 2 / abs(r["exact"]) for r in estimated]) if estimated else None,
        "targetUnmet": sum(1 for r in rows if r["precision"] and not r["precision"]["met"]),
        "byModel": {m: {"blocks": v["blocks"], "medianRelError": median(v["errors"]), "maxRelError": max(v["errors"]),
                        "within10": sum(e <= 0.1 for e in v["errors"]) / len(v["errors"])} for m, v in by_model.items()},
        "missed": [f"{r['report']} block {r['block']}: {r['value']} [{r['ci99'][0]}, {r['ci99'][1]}] vs {r['exact']}"
                   for r, c in zip(estimated, covers) if not c],
        "worst": sorted(({"report": r["report"], "block": r["block"], "exact": r["exact"], "value": r["value"], "ci99": r["ci99"],
                          "relError": e} for r, e in zip(rows, errors)), key=lambda w: -w["relError"])[:5],
    }
    try:
        with open(results_path) as fh:
            previous = json.load(fh)
    except FileNotFoundError:
        previous = {}
    previous[label] = out
    with open(results_path, "w") as fh:
        json.dump(previous, fh, indent=1)
        fh.write("\n")
    print(json.dumps({k: v for k, v in out.items() if k not in ("worst", "missed")}, indent=1))


if __name__ == "__main__":
    if sys.argv[1] == "exact":
        exact_main(*sys.argv[2:6])
    elif sys.argv[1] == "summary":
        summary_main(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
