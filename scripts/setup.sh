#!/usr/bin/env bash
# Sets up Gradient Lens on a fresh Debian machine and runs the main job on the bundled example:
#   1. Debian packages the browser tests need (chromium, ripgrep, fonts) when missing;
#   2. npm packages (npm ci) and the build;
#   3. the real-VS-Code test harness (code-server + playwright-core, from the npm registry,
#      via scripts/e2e-install.sh) and the .vsix the end-to-end tests install;
#   4. the paper's Figure 1 example networks (examples/paper: their weights are generated, not
#      committed) and the CLI on the bundled example model.
# Idempotent: a second run only checks what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages for the browser tests: ${need_apt[*]}" >&2
  fi
fi

echo "setup: installing npm packages"
# onnxruntime-node carries its CPU binaries; its install script would also fetch CUDA ones
# from the internet, which this must not need.
ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund

echo "setup: building"
npm run build --silent

if [ -z "${GRADIENT_LENS_SKIP_E2E_SETUP:-}" ]; then
  echo "setup: installing the real-VS-Code test harness (code-server) and building the .vsix"
  bash scripts/e2e-setup.sh
fi

echo "setup: generating the paper's example networks (examples/paper, seeded, byte-identical)"
npm run examples --silent

echo "setup: analysing the bundled example (examples/resnet/model.onnx)"
node bin/gradient-lens.js analyze examples/resnet/model.onnx --json out/example-report.json
