/** Runs the gradient-lens CLI in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main');

/** Compiled .js under out/, or the .ts source through tsx when the tests run under tsx. */
export function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const useTs = __filename.endsWith('.ts');
  const argv = useTs ? ['--import', 'tsx', `${CLI}.ts`, ...args] : [`${CLI}.js`, ...args];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, GRADIENT_LENS_TEST: '1' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
