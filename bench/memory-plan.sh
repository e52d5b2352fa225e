#!/bin/sh
# The memory guard's plan against the measured peak (issue 20): one process per analysis
# (the peak is the process's), one JSON line each appended to bench/memory-plan.jsonl.
# Usage: sh bench/memory-plan.sh [LABEL] [INCEPTION.onnx]   (after npx tsc -p .; node out/bench/gen-resnet18.js)
# Inception-v3: torchvision's, randomly initialised, exported at opset 13 with a dynamic batch:
#   python3 -c "import torch,torchvision; m=torchvision.models.inception_v3(weights=None,aux_logits=False,init_weights=True).eval();
#   torch.onnx.export(m, torch.randn(1,3,299,299), 'inception_v3.onnx', opset_version=13, input_names=['x'], dynamic_axes={'x':{0:'batch'}})"
set -e
LABEL=${1:-after}
OUT=bench/memory-plan.jsonl
run() {
  name=$1
  shift
  line=$(node out/bench/memoryPlan.js "$@" --label "$name" | tail -1)
  echo "{\"run\":\"$LABEL\",\"date\":\"$(date -u +%FT%TZ)\",${line#\{}" | tee -a "$OUT"
}
for t in 1 2; do
  run "mlp_relu t$t" test/fixtures/models/mlp_relu/model.onnx --threads $t
  run "tiny_transformer t$t" test/fixtures/models/tiny_transformer/model.onnx --threads $t
  run "resnet_cifar8 t$t" test/fixtures/models/resnet_cifar8/model.onnx --threads $t
  run "examples/resnet t$t" examples/resnet/model.onnx --threads $t
  run "resnet18_64 t$t" bench/models/resnet18_64/model.onnx --threads $t
done
if [ -n "$2" ]; then
  # a limit that allows both threads, then the default limit
  run "inception_v3 b4 p4 t2 limit 8000" "$2" --batch 4 --probes 4 --threads 2 --no-block-matrix --memory-limit-mb 8000
  run "inception_v3 b4 p4 t2" "$2" --batch 4 --probes 4 --threads 2 --no-block-matrix
fi
