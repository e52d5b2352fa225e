/**
 * Extension entry: wiring only, in a straight line (each part is built from the ones above it;
 * finished analyses reach their consumers through AnalysisService.onDidFinishAnalysis).
 * Activation stays cheap (no engine code is loaded here; the engine runs in dist/worker.js),
 * and its duration is logged to the Output channel.
 */
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { AnalysisService } from './analysis/service';
import { annotationCommands, CodeAnnotations, registerHelpDocuments } from './annotations';
import { analysisCommands } from './commands/register';
import { COMMANDS, CONTEXT_HAS_REPORT } from './commands/ids';
import { registerCommandTable } from './commands/table';
import { CompareFeature } from './compare/compareFeature';
import { examplesFeature } from './examples/commands';
import { exportInteractive } from './export/exportCommand';
import { exportCommands } from './export/exportFeature';
import { HistoryFeature } from './history/historyFeature';
import { TfjsModelContext } from './modelIndex';
import { createLog } from './output';
import { ReportPresenter } from './reportPresenter';
import { ReportStore } from './reportStore';
import { WatchFeature } from './watch/watchFeature';
import { ReportPanels } from './webview/reportPanel';

/** Set by a webpack banner as the very first statement of dist/extension.js (absent under tsc). */
declare const __gradientLensBundleStart: number | undefined;
const bundleStart = typeof __gradientLensBundleStart === 'number' ? __gradientLensBundleStart : performance.now();

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const log = createLog();
  const store = new ReportStore(context.workspaceState);
  const analysis = new AnalysisService(context.asAbsolutePath('dist/worker.js'), log, context.workspaceState);
  const history = new HistoryFeature(context.globalStorageUri);
  const annotations = new CodeAnnotations(context.extensionUri, log);
  const panels = new ReportPanels(context.extensionUri, store, log, {
    rerun: (model) => void vscode.commands.executeCommand(COMMANDS.rerunWithSettings, model),
    extras: (report) => history.trendMessages(report),
    exportReport: (report, format) => exportInteractive(report, format, log),
    shown: (report) => void annotations.update(report),
    revealSource: (report, index, column) => annotations.revealBlock(report, index, column),
  });
  const presenter = new ReportPresenter(store, panels);
  // The history records a finished analysis before the panel shows it (its trend includes it).
  const cache = history.cachedAnalysis(analysis, presenter, log);
  analysis.onDidFinishAnalysis((finished) => finished.waitUntil(() => presenter.show(finished.report)));
  // The first chart while the block matrix runs; the finished report replaces it (presenter.show).
  analysis.onDidReceivePartial((partial) => panels.showPartial(partial));
  analysis.onDidEndWithoutReport((modelPath) => panels.abandonPartial(modelPath));
  const compare = new CompareFeature(context, history.picker, log);
  const watch = new WatchFeature(analysis, cache, log);
  const examples = examplesFeature({ context, log });
  const tfjsModels = new TfjsModelContext(log);
  void tfjsModels.start().catch((e: unknown) => log.warn(`the workspace scan for TensorFlow.js models failed: ${String(e)}`));
  const commands = registerCommandTable({
    ...analysisCommands({ analysis, panels, store, log, cache }),
    ...history.commands(presenter, log),
    ...exportCommands({ activeReport: () => panels.activeReport(), store, picker: history.picker, log }),
    ...compare.commands(),
    ...watch.commands(),
    ...annotationCommands(annotations, panels, store, log),
    ...examples.commands,
  });
  context.subscriptions.push(log, analysis, panels, annotations, registerHelpDocuments(), watch, tfjsModels, compare, ...examples.disposables, ...commands);
  void vscode.commands.executeCommand('setContext', CONTEXT_HAS_REPORT, store.latest() !== undefined);
  const now = performance.now();
  // "activation" = loading the bundle + activate(); the e2e test reads this line.
  log.info(
    `Gradient Lens ${String(context.extension.packageJSON.version)} activation ${(now - bundleStart).toFixed(1)} ms ` +
      `(bundle load ${(started - bundleStart).toFixed(1)} ms, activate() ${(now - started).toFixed(1)} ms)`,
  );
}

export function deactivate(): void {
  // Everything is in context.subscriptions; disposing the service kills the worker.
}
