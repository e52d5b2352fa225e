/**
 * Recent analyses, kept in the extension's own storage folder (context.globalStorageUri),
 * never in the workspace: an index.json with one small entry per analysis and one JSON file
 * per report. The index is what the History quick pick and the cache read; a report file is
 * read only when it is reopened or compared. No vscode import: the folder is a plain path,
 * so this is unit-tested in Node.
 *
 * One entry per (model path, content hash, settings key): a re-run with the same model and
 * settings replaces the earlier one, so the cache always serves the newest result.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { reportIncompatibility, type AnalysisReport } from '../../report/schema';

import { runInputText } from './runInput';

export const DEFAULT_MAX_ENTRIES = 50;
const INDEX_FILE = 'index.json';
const INDEX_VERSION = 1;

export interface HistoryEntry {
  readonly id: string;
  readonly modelPath: string;
  readonly fileName: string;
  readonly contentHash: string;
  /** cacheKey() of the request that produced the report. */
  readonly cacheKey: string;
  /** The report's createdAt. */
  readonly createdAt: string;
  /** How the report came in: an analysis run here, or a JSON file opened. */
  readonly origin: 'analysis' | 'file';
  readonly summary: {
    readonly blocks: number;
    readonly gscInputToOutput: number;
    readonly explosionRate: number;
    readonly batch: number;
    readonly probes: number;
    readonly seed: number;
    readonly exact: string;
    /** What was fed in, when not the default Gaussian batch into the output ("data samples.npy (16 samples) · error layer (cross-entropy)"). */
    readonly input?: string;
  };
}

interface IndexFile {
  readonly version: number;
  readonly entries: readonly HistoryEntry[];
}

function isEntry(e: unknown): e is HistoryEntry {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Record<string, unknown>;
  return (
    typeof x.id === 'string' &&
    /^[\w-]+$/.test(x.id) &&
    typeof x.modelPath === 'string' &&
    typeof x.fileName === 'string' &&
    typeof x.contentHash === 'string' &&
    typeof x.cacheKey === 'string' &&
    typeof x.createdAt === 'string' &&
    typeof x.summary === 'object' &&
    x.summary !== null
  );
}

export class HistoryStore {
  /** Writes run one after another so two finishing analyses cannot lose an index update. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly maxEntries: () => number = () => DEFAULT_MAX_ENTRIES,
  ) {}

  /** Most recent first. A missing or unreadable index is an empty history. */
  async list(): Promise<HistoryEntry[]> {
    await this.queue.catch(() => undefined);
    return this.readIndex();
  }

  async entriesFor(modelPath: string): Promise<HistoryEntry[]> {
    return (await this.list()).filter((e) => e.modelPath === modelPath);
  }

  /**
   * The cached analysis for this content and settings: the same model path first, else the
   * same content analysed under another path (the numbers only depend on the content).
   */
  async findCached(contentHash: string, key: string, modelPath: string): Promise<HistoryEntry | undefined> {
    const hits = (await this.list()).filter((e) => e.contentHash === contentHash && e.cacheKey === key && e.origin === 'analysis');
    return hits.find((e) => e.modelPath === modelPath) ?? hits[0];
  }

  /** The stored report, or undefined when its file is gone or no longer readable. */
  async load(id: string): Promise<AnalysisReport | undefined> {
    if (!/^[\w-]+$/.test(id)) return undefined;
    try {
      const value: unknown = JSON.parse(await fs.readFile(this.reportFile(id), 'utf8'));
      return reportIncompatibility(value) === undefined ? (value as AnalysisReport) : undefined;
    } catch {
      return undefined;
    }
  }

  add(report: AnalysisReport, key: string, origin: HistoryEntry['origin'] = 'analysis'): Promise<HistoryEntry> {
    const run = this.queue.catch(() => undefined).then(() => this.addNow(report, key, origin));
    this.queue = run;
    return run;
  }

  async remove(id: string): Promise<void> {
    const run = this.queue
      .catch(() => undefined)
      .then(async () => {
        const entries = await this.readIndex();
        await this.writeIndex(entries.filter((e) => e.id !== id));
        await fs.rm(this.reportFile(id), { force: true });
      });
    this.queue = run;
    await run;
  }

  private async addNow(report: AnalysisReport, key: string, origin: HistoryEntry['origin']): Promise<HistoryEntry> {
    await fs.mkdir(this.dir, { recursive: true });
    const entry: HistoryEntry = {
      id: randomUUID(),
      modelPath: report.model.path,
      fileName: report.model.fileName,
      contentHash: report.model.contentHash,
      cacheKey: key,
      createdAt: report.createdAt,
      origin,
      summary: {
        blocks: report.blocks.length,
        gscInputToOutput: report.growth.gscInputToOutput,
        explosionRate: report.growth.logFit.rate,
        batch: report.settings.batch,
        probes: report.settings.probes,
        seed: report.settings.seed,
        exact: report.settings.exact,
        ...(runInputText(report) !== undefined ? { input: runInputText(report) } : {}),
      },
    };
    await writeAtomically(this.reportFile(entry.id), JSON.stringify(report));
    const old = await this.readIndex();
    const replaced = old.filter(
      (e) => e.modelPath === entry.modelPath && e.contentHash === entry.contentHash && e.cacheKey === entry.cacheKey && e.origin === entry.origin,
    );
    const rest = old.filter((e) => !replaced.includes(e));
    const limit = Math.max(1, Math.floor(this.maxEntries()));
    const kept = [entry, ...rest].slice(0, limit);
    const dropped = [...replaced, ...rest.slice(limit - 1)];
    await this.writeIndex(kept);
    await Promise.all(dropped.map((e) => fs.rm(this.reportFile(e.id), { force: true })));
    return entry;
  }

  private reportFile(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private async readIndex(): Promise<HistoryEntry[]> {
    try {
      const value = JSON.parse(await fs.readFile(path.join(this.dir, INDEX_FILE), 'utf8')) as Partial<IndexFile>;
      return Array.isArray(value.entries) ? value.entries.filter(isEntry) : [];
    } catch {
      return [];
    }
  }

  private async writeIndex(entries: readonly HistoryEntry[]): Promise<void> {
    const index: IndexFile = { version: INDEX_VERSION, entries };
    await writeAtomically(path.join(this.dir, INDEX_FILE), JSON.stringify(index, null, 1));
  }
}

/** Write to a temporary file and rename it over the target, so a reader never sees half a file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await fs.writeFile(tmp, text, 'utf8');
  await fs.rename(tmp, file);
}
