#!/usr/bin/env node
// The CLI entry: the compiled engine lives in out/ (npm run build).
// Whatever escapes main() (an unexpected rejection, or one raised later by a stray promise)
// ends the process with a one-line error and exit code 1, not a stack trace and exit code 0.
function fail(e) {
  const text = e instanceof Error ? e.message : String(e);
  // Control characters from a model's names are shown escaped, as everywhere else.
  // eslint-disable-next-line no-control-regex
  const shown = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  process.stderr.write(`gradient-lens: internal error: ${shown}\n`);
  if (process.env.GRADIENT_LENS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);
const args = process.argv.slice(2);
// The analysis runs in a process started with the allocator settings (src/engine/allocator.ts).
const relaunched = require('../out/src/cli/relaunch.js').relaunchWithAllocator(__filename, args);
(relaunched ?? require('../out/src/cli/main.js').main(args)).then((code) => process.exit(code), fail);
