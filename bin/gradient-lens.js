#!/usr/bin/env node
// The CLI entry: the compiled engine lives in out/ (npm run build).
require('../out/src/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
