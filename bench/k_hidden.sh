#!/usr/bin/env bash
# k_lin against exact float64 values on models like issue 15's hidden ones (bench/README.md):
# the four torchvision CNNs at 64x64 from bench/gen_k_models.py and the depth-50 MLPs of the
# Figure-1 family (examples/paper, `npm run examples`), several input batches each. Per model and
# seed: the CLI at default settings (--no-block-matrix only saves time: k_lin does not use the
# block matrix and its probes have their own seeded stream), then bench/k_reference.py on the
# report's blocks. Existing outputs are kept, so an interrupted run resumes.
# Usage: bash bench/k_hidden.sh [LABEL] [SEEDS] [MODEL ...]   (after npm run build; CLI=path/to/
# gradient-lens.js runs another build)
set -euo pipefail
cd "$(dirname "$0")/.."
label=${1:-current}
seeds=${2:-3}
shift 2 || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(mlp_relu mlp_tanh mlp_selu mlp_bn_relu mlp_ln_tanh resmlp_relu resnet18 vgg11_bn squeezenet1_1 mobilenet_v2)
dir=bench/models/k
runs=$dir/runs-$label
mkdir -p "$runs"
[ -f $dir/resnet18.onnx ] || /usr/bin/python3 bench/gen_k_models.py --seeds "$seeds"
specs=()
for m in "${models[@]}"; do
  if [ -f "examples/paper/$m/model.onnx" ]; then onnx=examples/paper/$m/model.onnx; input=mlp; else onnx=$dir/$m.onnx; input=64; fi
  for s in $(seq 1 "$seeds"); do
    r=$runs/$m-s$s
    if [ ! -f "$r.json" ]; then
      /usr/bin/time -f "%e s wall %U s user" -o "$r.time" node "${CLI:-bin/gradient-lens.js}" analyze "$onnx" --input "$dir/input-$input-seed$s.bin" --seed "$s" --no-block-matrix --json "$r.json" --quiet >"$r.txt"
    fi
    [ -f "$r.exact.json" ] || /usr/bin/python3 bench/k_reference.py exact "$onnx" "$dir/input-$input-seed$s.bin" "$r.json" "$r.exact.json" 2>"$r.exact.log"
    specs+=("$m:$r.json:$r.exact.json")
    echo "$m seed $s: $(cat "$r.time")"
  done
done
/usr/bin/python3 bench/k_reference.py summary bench/k-hidden.json "$label" "${specs[@]}"
