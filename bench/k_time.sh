#!/usr/bin/env bash
# Wall and CPU time of the CLI's default analysis of one model, for several builds, runs
# interleaved (build A, B, C, A, B, C, ...) so that a shared machine's load falls on all alike.
# Usage: bash bench/k_time.sh RUNS MODEL LABEL=path/to/gradient-lens.js ...  > lines "label wall user sys"
set -euo pipefail
runs=$1
model=$2
shift 2
for r in $(seq 1 "$runs"); do
  for spec in "$@"; do
    label=${spec%%=*}
    cli=${spec#*=}
    /usr/bin/time -f "%e %U %S" -o /tmp/k_time.$$ node "$cli" analyze "$model" --quiet >/dev/null 2>&1
    echo "$label $(cat /tmp/k_time.$$)"
  done
done
