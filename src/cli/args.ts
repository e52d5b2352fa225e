/** Command-line parsing for the CLI: strict, with messages that say what was wrong. */
import { BACKEND_CHOICES, type BackendChoice } from '../engine/backend';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  readonly command: 'analyze';
  readonly model: string;
  readonly help: boolean;
  readonly batch?: number;
  readonly probes?: number;
  readonly seed?: number;
  readonly exact?: 'auto' | 'on' | 'off';
  readonly exactMaxDim?: number;
  readonly memoryLimitMb?: number;
  readonly backend?: BackendChoice;
  readonly input?: string;
  readonly json?: string;
  readonly dims: Readonly<Record<string, number>>;
  readonly noBlockMatrix: boolean;
  readonly quiet: boolean;
}

function positiveInt(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} needs a whole number of at least ${min} (got "${value}")`);
  }
  return n;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    return { command: 'analyze', model: '', help: true, dims: {}, noBlockMatrix: false, quiet: false };
  }
  const [command, ...rest] = argv;
  if (command !== 'analyze') throw new UsageError(`unknown command "${command}"`);
  const out: { -readonly [K in keyof ParsedArgs]?: ParsedArgs[K] } = {};
  const dims: Record<string, number> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--batch':
        out.batch = positiveInt(arg, value(), 2);
        break;
      case '--probes':
        out.probes = positiveInt(arg, value(), 2);
        break;
      case '--seed':
        out.seed = positiveInt(arg, value(), 0);
        break;
      case '--exact-max-dim':
        out.exactMaxDim = positiveInt(arg, value(), 1);
        break;
      case '--memory-limit-mb':
        out.memoryLimitMb = positiveInt(arg, value(), 1);
        break;
      case '--exact': {
        const v = value();
        if (v !== 'auto' && v !== 'on' && v !== 'off') throw new UsageError(`--exact takes auto, on or off (got "${v}")`);
        out.exact = v;
        break;
      }
      case '--backend': {
        const v = value();
        if (!(BACKEND_CHOICES as readonly string[]).includes(v)) {
          throw new UsageError(`--backend takes ${BACKEND_CHOICES.join(', ')} (got "${v}")`);
        }
        out.backend = v as BackendChoice;
        break;
      }
      case '--input':
        out.input = value();
        break;
      case '--json':
        out.json = value();
        break;
      case '--dim': {
        const v = value();
        const m = /^([^=]+)=(\d+)$/.exec(v);
        if (!m || Number(m[2]) < 1) throw new UsageError(`--dim takes NAME=SIZE (got "${v}")`);
        dims[m[1]] = Number(m[2]);
        break;
      }
      case '--no-block-matrix':
        out.noBlockMatrix = true;
        break;
      case '--quiet':
        out.quiet = true;
        break;
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option "${arg}"`);
        positional.push(arg);
    }
  }
  if (out.help) return { command: 'analyze', model: '', help: true, dims, noBlockMatrix: false, quiet: false };
  if (positional.length !== 1) {
    throw new UsageError(positional.length === 0 ? 'analyze needs a model file' : `unexpected arguments: ${positional.slice(1).join(' ')}`);
  }
  return {
    ...out,
    command: 'analyze',
    model: positional[0],
    help: false,
    dims,
    noBlockMatrix: out.noBlockMatrix ?? false,
    quiet: out.quiet ?? false,
  };
}
