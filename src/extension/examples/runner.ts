/**
 * Analyses the examples one after another through the analysis worker, reporting progress and
 * each finished series, and stopping when cancelled. No `vscode`: the command supplies the
 * worker client, the settings and the callbacks, and the tests drive it with a stub.
 */
import { CancelledError, type AnalyzeRequest, type ProgressEvent } from '../../engine/api';
import type { AnalysisReport } from '../../report/schema';
import { holdsWeights } from '../../ops/registry';
import { seriesFromReport, settingsOf, type ExamplesFigure, type FigureSeries } from '../../report/figureData';
import type { ExampleInfo } from '../../examples/catalog';

export interface AnalyzeClient {
  analyze(request: AnalyzeRequest, hooks: { readonly onProgress?: (e: ProgressEvent) => void; readonly signal?: AbortSignal }): Promise<AnalysisReport>;
}

export interface ExampleJob {
  readonly example: ExampleInfo;
  readonly modelPath: string;
}

export interface RunCallbacks {
  /** Before each example and on each engine progress event; `fraction` is of the whole run, 0..1. */
  onProgress(text: string, fraction: number): void;
  /** After every change of the figure (a series added, the run ended). */
  onFigure(figure: ExamplesFigure): void;
  onReport?(example: ExampleInfo, report: AnalysisReport): void;
}

export async function analyzeExamples(
  client: AnalyzeClient,
  jobs: readonly ExampleJob[],
  request: Omit<AnalyzeRequest, 'modelPath'>,
  callbacks: RunCallbacks,
  signal: AbortSignal,
): Promise<ExamplesFigure> {
  const series: FigureSeries[] = [];
  let settings: ExamplesFigure['settings'] = null;
  const figure = (status: ExamplesFigure['status'], message: string): ExamplesFigure => ({
    status,
    message,
    settings,
    series: [...series],
    pending: jobs.slice(series.length).map((j) => ({ id: j.example.id, title: j.example.title })),
  });
  callbacks.onFigure(figure('running', `analyzing ${jobs.length} examples`));
  for (const [i, job] of jobs.entries()) {
    const label = `${job.example.id} (${i + 1} of ${jobs.length})`;
    callbacks.onProgress(label, i / jobs.length);
    let report: AnalysisReport;
    try {
      report = await client.analyze(
        { ...request, modelPath: job.modelPath },
        {
          signal,
          onProgress: (e) => callbacks.onProgress(`${label}: ${e.message}`, (i + (e.fraction ?? 0)) / jobs.length),
        },
      );
    } catch (e) {
      if (e instanceof CancelledError || signal.aborted) {
        const done = figure('cancelled', `cancelled after ${series.length} of ${jobs.length} examples`);
        callbacks.onFigure(done);
        return done;
      }
      const failed = figure('failed', `${job.example.id} failed: ${e instanceof Error ? e.message : String(e)}`);
      callbacks.onFigure(failed);
      throw e;
    }
    settings ??= settingsOf(report);
    series.push(seriesFromReport(job.example, report, holdsWeights));
    callbacks.onReport?.(job.example, report);
    callbacks.onFigure(figure(i + 1 < jobs.length ? 'running' : 'done', i + 1 < jobs.length ? `${series.length} of ${jobs.length} examples analyzed` : `all ${jobs.length} examples analyzed`));
  }
  callbacks.onProgress('done', 1);
  return figure('done', `all ${jobs.length} examples analyzed`);
}
