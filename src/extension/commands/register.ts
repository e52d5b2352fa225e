/** The analysis commands; each is a thin adapter from VS Code arguments to the services. */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { reportIncompatibility, type AnalysisReport } from '../../report/schema';
import type { AnalysisService } from '../analysis/service';
import type { CachedAnalysis } from '../history/cachedAnalysis';
import type { Log } from '../output';
import type { ReportStore } from '../reportStore';
import type { ReportPanels } from '../webview/reportPanel';
import { COMMANDS } from './ids';
import type { CommandHandlers } from './table';
import { resolveModel } from './pickModel';
import { editSettings } from './rerun';
import { analyzeWithData } from '../data/analyzeWithData';

export interface Services {
  readonly analysis: AnalysisService;
  readonly panels: ReportPanels;
  readonly store: ReportStore;
  readonly log: Log;
  /** Analyze through the cache (reopens an unchanged model's report); without it, always run. */
  readonly cache?: CachedAnalysis;
}

type AnalysisCommand = 'analyze' | 'analyzeWithData' | 'analyzeUpToTensor' | 'rerunWithSettings' | 'showReport' | 'cancel' | 'showOutput';

export function analysisCommands(s: Services): CommandHandlers<AnalysisCommand> {
  return {
    analyze: async (arg?: unknown) => {
      const model = await resolveModel(arg);
      if (model) await (s.cache ? s.cache.analyze(model) : s.analysis.analyze(model));
    },
    // Sample data bypasses the history cache: its key covers the Gaussian batch only.
    analyzeWithData: (arg?: unknown) => analyzeWithData(s.analysis, s.log, arg),
    // The pick lists of tensors; the cut is remembered for the file and is part of the cache key.
    analyzeUpToTensor: async (arg?: unknown) => {
      const model = await resolveModel(arg);
      if (model && (await s.analysis.pickCut(model))) await (s.cache ? s.cache.analyze(model) : s.analysis.analyze(model));
    },
    rerunWithSettings: async (arg?: unknown) => {
      const model = arg instanceof vscode.Uri ? arg : await lastOrPicked(s);
      if (!model) return;
      const { settings } = s.analysis.config(model);
      // Start from what the last run used, so repeated re-runs build on each other.
      const last = s.store.get(model.fsPath)?.settings;
      const start = last
        ? {
            ...settings,
            batch: last.batch,
            probes: last.probes,
            seed: last.seed,
            exact: last.exact,
            blockMatrix: last.blockMatrix,
            dimOverrides: last.dimOverrides,
            memoryLimitMb: last.memoryLimitMb ?? settings.memoryLimitMb,
          }
        : settings;
      const chosen = await editSettings(start, path.basename(model.fsPath));
      if (chosen) await (s.cache ? s.cache.analyze(model, chosen) : s.analysis.analyze(model, chosen));
    },
    showReport: async (arg?: unknown) => {
      const modelPath = arg instanceof vscode.Uri ? arg.fsPath : s.store.latest()?.modelPath;
      const report = modelPath !== undefined ? s.store.get(modelPath) : undefined;
      if (report) {
        s.panels.show(report);
        return;
      }
      await openReportFile(s);
    },
    cancel: () => s.analysis.cancel(),
    showOutput: () => s.log.show(),
  };
}

async function lastOrPicked(s: Services): Promise<vscode.Uri | undefined> {
  const last = s.store.latest();
  if (last) return vscode.Uri.file(last.modelPath);
  return resolveModel(undefined);
}

/** No report in this workspace yet: offer to open a saved JSON report (e.g. from the CLI). */
async function openReportFile(s: Services): Promise<void> {
  const choice = await vscode.window.showInformationMessage(
    'Gradient Lens: no report yet. Analyze a model, or open a saved JSON report.',
    'Open Report…',
    'Analyze Model…',
  );
  if (choice === 'Analyze Model…') {
    await vscode.commands.executeCommand(COMMANDS.analyze);
    return;
  }
  if (choice !== 'Open Report…') return;
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Gradient Lens report': ['json'] } });
  if (!files?.[0]) return;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(files[0])).toString('utf8'));
  } catch (e) {
    void vscode.window.showErrorMessage(`Gradient Lens: ${path.basename(files[0].fsPath)} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const problem = reportIncompatibility(value);
  if (problem) {
    void vscode.window.showErrorMessage(`Gradient Lens: ${path.basename(files[0].fsPath)}: ${problem}`);
    return;
  }
  const report = value as AnalysisReport;
  await s.store.put(report);
  s.panels.show(report);
}
