/**
 * Extension entry: wiring only. Activation stays cheap (no engine code is loaded here; the
 * engine runs in dist/worker.js), and its duration is logged to the Output channel.
 */
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { AnalysisService } from './analysis/service';
import { registerCommands } from './commands/register';
import { COMMANDS, CONTEXT_HAS_REPORT } from './commands/ids';
import { createLog } from './output';
import { ReportStore } from './reportStore';
import { ReportPanels } from './webview/reportPanel';
import { registerExampleCommands } from './examples/commands';
import { ReportFeatures } from './history/features';
import { CodeAnnotations, registerAnnotationCommands } from './annotations';

/** Set by a webpack banner as the very first statement of dist/extension.js (absent under tsc). */
declare const __gradientLensBundleStart: number | undefined;
const bundleStart = typeof __gradientLensBundleStart === 'number' ? __gradientLensBundleStart : performance.now();

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const log = createLog();
  const store = new ReportStore(context.workspaceState);
  let panels: ReportPanels | undefined;
  let features: ReportFeatures | undefined;
  const analysis = new AnalysisService(context.asAbsolutePath('dist/worker.js'), log, {
    onReport: async (report) => {
      // History first: the panel's trend chart includes this analysis.
      await features?.record(report);
      await store.put(report);
      await vscode.commands.executeCommand('setContext', CONTEXT_HAS_REPORT, true);
      panels?.show(report);
    },
  });
  const annotations = new CodeAnnotations(context.extensionUri, log);
  panels = new ReportPanels(context.extensionUri, store, log, {
    rerun: (model) => void vscode.commands.executeCommand(COMMANDS.rerunWithSettings, model),
    extras: async (report) => (features ? features.extras(report) : []),
    exportReport: async (report, format) => features?.exportReport(report, format),
    shown: (report) => void annotations.update(report),
    revealSource: (report, index, column) => annotations.revealBlock(report, index, column),
  });
  features = new ReportFeatures({ context, analysis, panels, store, log });
  context.subscriptions.push(annotations, ...registerAnnotationCommands(annotations, panels, store, log));
  context.subscriptions.push(log, analysis, panels, features, ...features.commands(), ...registerCommands({ analysis, panels, store, log, cache: features.cache }));
  context.subscriptions.push(...registerExampleCommands({ context, log }));
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
