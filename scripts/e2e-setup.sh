#!/usr/bin/env bash
# Prepares the real-VS-Code tests (test/e2e): Debian chromium + ripgrep, code-server and
# playwright-core (scripts/e2e-install.sh: idempotent, retries once on its own), then builds the .vsix.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/e2e-install.sh
npm run package
ls -l gradient-lens.vsix
