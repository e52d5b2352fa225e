#!/usr/bin/env bash
# Prepares the real-VS-Code tests (test/e2e): Debian chromium + ripgrep and code-server +
# playwright-core (via ../shared/e2e/install.sh, which is idempotent), then builds the .vsix.
set -euo pipefail
cd "$(dirname "$0")/.."
INSTALL=../shared/e2e/install.sh
[ -f "$INSTALL" ] || { echo "e2e-setup: $INSTALL not found (the shared folder must be beside the clone)" >&2; exit 2; }
# install.sh can fail on a harmless race ("rg --version | head -1" -> broken pipe under
# pipefail); it is idempotent, so try again.
for attempt in 1 2 3; do
  if bash "$INSTALL"; then break; fi
  [ "$attempt" = 3 ] && { echo "e2e-setup: install.sh failed 3 times" >&2; exit 1; }
  echo "e2e-setup: install.sh failed (attempt $attempt), retrying"
done
npm run package
ls -l gradient-lens.vsix
