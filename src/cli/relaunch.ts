/**
 * The CLI runs its analysis in a process started with the allocator settings
 * (engine/allocator.ts), which glibc reads only at start-up: when this process lacks them it
 * runs the same script again as a child with them and passes the child's exit on.
 */
import { spawn } from 'node:child_process';
import { withAllocatorTunables } from '../engine/allocator';

/** Signals a user or a CI runner sends to end the CLI: passed on, so the child ends too. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `script` with `args` in a child process that has the allocator settings (and this
 * process's Node flags), and resolves to its exit code; undefined when this process already has
 * them, they do not apply, or a debugger is attached (--inspect), so the caller runs the CLI itself. A child ended by a signal ends this process by that signal.
 */
export function relaunchWithAllocator(script: string, args: readonly string[]): Promise<number> | undefined {
  const env = withAllocatorTunables(process.env);
  // Under a debugger the analysis stays in the process being debugged.
  if (env === process.env || process.execArgv.some((a) => a.startsWith('--inspect'))) return undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      if (signal !== null) {
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 1);
    });
  });
}
