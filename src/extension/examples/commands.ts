/**
 * "Gradient Lens: Open Example…" and "Gradient Lens: Analyze All Examples". The examples live
 * in the extension's global storage (generated there on first use; never written into the
 * workspace unless the user picks a folder with "Copy to Folder…").
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { CancelledError } from '../../engine/api';
import { WorkerClient } from '../analysis/workerClient';
import { parseConfig } from '../config';
import { showErrorWithDetails, type Log } from '../output';
import { COMMANDS } from '../commands/ids';
import type { CommandHandlers } from '../commands/table';
import { ExamplesFigurePanel } from './figurePanel';
import { EXAMPLES, type ExampleInfo } from '../../examples/catalog';
import { analyzeExamples } from './runner';
import { copyExample, ensureExample } from './storage';

export interface ExampleServices {
  readonly context: vscode.ExtensionContext;
  readonly log: Log;
}

/** Where the examples are generated: <global storage>/examples/paper. */
export function examplesRoot(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'examples', 'paper');
}

export interface ExamplesFeature {
  readonly commands: CommandHandlers<'openExample' | 'analyzeAllExamples'>;
  /** The figure panel and the examples' own worker. */
  readonly disposables: vscode.Disposable[];
}

export function examplesFeature(s: ExampleServices): ExamplesFeature {
  const panel = new ExamplesFigurePanel(s.context.extensionUri, s.log, s.context.globalState);
  // Its own worker process (started on the first run, stopped when idle), so a run of all
  // examples does not queue behind, or cancel, an analysis the user started.
  const worker = new WorkerClient({ workerPath: s.context.asAbsolutePath('dist/worker.js'), log: (line) => s.log.info(`[examples] ${line}`) });
  let running: AbortController | undefined;
  const commands: ExamplesFeature['commands'] = {
    openExample: (arg?: unknown) => openExample(s, typeof arg === 'string' ? arg : undefined),
    analyzeAllExamples: async () => {
      if (running) {
        void vscode.window.showInformationMessage('Gradient Lens: the examples are already being analyzed.');
        return;
      }
      running = new AbortController();
      try {
        await analyzeAll(s, worker, panel, running);
      } finally {
        running = undefined;
      }
    },
  };
  return { commands, disposables: [panel, { dispose: () => worker.dispose() }] };
}

async function openExample(s: ExampleServices, id: string | undefined): Promise<void> {
  const example = id !== undefined ? EXAMPLES.find((e) => e.id === id) : await pickExample();
  if (!example) return;
  const root = examplesRoot(s.context);
  const { paths, generated } = ensureExample(root, example);
  if (generated) s.log.info(`example ${example.id} generated in ${paths.folder}`);
  await vscode.window.showTextDocument(vscode.Uri.file(paths.pytorch), { preview: false });
  // The example lives in the extension's storage, where edits would be silently kept and reused:
  // read-only in this session; Copy to Folder… gives an editable copy.
  await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession').then(undefined, (e: unknown) =>
    s.log.warn(`could not make the example read-only: ${String(e)}`),
  );
  const choice = await vscode.window.showInformationMessage(
    `Gradient Lens example "${example.title}": ${example.description}. This copy is read-only; Copy to Folder… gives one you can edit.`,
    'Analyze ONNX',
    'Analyze TF.js',
    'Open TF.js Code',
    'Copy to Folder…',
  );
  switch (choice) {
    case 'Analyze ONNX':
      await vscode.commands.executeCommand(COMMANDS.analyze, vscode.Uri.file(paths.onnx));
      return;
    case 'Analyze TF.js':
      await vscode.commands.executeCommand(COMMANDS.analyze, vscode.Uri.file(paths.tfjsModel));
      return;
    case 'Open TF.js Code':
      await vscode.window.showTextDocument(vscode.Uri.file(paths.tfjsSource), { preview: false });
      return;
    case 'Copy to Folder…': {
      const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Copy Example Here' });
      if (!picked?.[0]) return;
      try {
        const dest = copyExample(root, example, picked[0].fsPath);
        void vscode.window.showInformationMessage(`Gradient Lens: example copied to ${dest}.`);
      } catch (e) {
        void vscode.window.showErrorMessage(`Gradient Lens: could not copy the example: ${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    }
    default:
      return;
  }
}

async function pickExample(): Promise<ExampleInfo | undefined> {
  const picked = await vscode.window.showQuickPick(
    EXAMPLES.map((e) => ({ label: e.title, description: e.id, detail: e.description, example: e })),
    { title: 'Gradient Lens: Open Example', placeHolder: 'The networks of the paper’s Figure 1 (depth 50, width 100)', matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.example;
}

async function analyzeAll(s: ExampleServices, worker: WorkerClient, panel: ExamplesFigurePanel, abort: AbortController): Promise<void> {
  const root = examplesRoot(s.context);
  const config = parseConfig(vscode.workspace.getConfiguration('gradientLens'));
  config.problems.forEach((p) => s.log.warn(p));
  // The figure needs GSC to the output only: the block matrix (one reverse pass per block and
  // probe) would multiply the time by about the number of blocks.
  const settings = { ...config.settings, blockMatrix: false };
  const started = Date.now();
  s.log.info(`analysing all ${EXAMPLES.length} examples from ${root}`);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Gradient Lens: examples', cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      progress.report({ message: 'preparing the example models' });
      const jobs = [];
      for (const example of EXAMPLES) {
        const { paths, generated } = ensureExample(root, example);
        if (generated) s.log.info(`example ${example.id} generated in ${paths.folder}`);
        jobs.push({ example, modelPath: paths.onnx });
        // Let the notification and the UI breathe between the ~0.15 s generations.
        await new Promise((resolve) => setImmediate(resolve));
      }
      let reported = 0;
      try {
        const figure = await analyzeExamples(
          worker,
          jobs,
          { settings, thresholds: config.thresholds },
          {
            onProgress: (text, fraction) => {
              const percent = Math.min(100, fraction * 100);
              progress.report({ message: text, increment: percent > reported ? percent - reported : undefined });
              reported = Math.max(reported, percent);
            },
            onFigure: (f) => panel.show(f),
            onReport: (example, report) => s.log.info(`example ${example.id}: GSC(input -> output) ${report.growth.gscInputToOutput} (${report.timings.totalMs.toFixed(0)} ms)`),
          },
          abort.signal,
        );
        s.log.info(`examples: ${figure.message} in ${Date.now() - started} ms`);
        if (figure.status === 'cancelled') vscode.window.setStatusBarMessage('Gradient Lens: examples cancelled', 5000);
      } catch (e) {
        if (e instanceof CancelledError) return;
        await showErrorWithDetails(s.log, `analyzing the examples failed: ${e instanceof Error ? e.message : String(e)}`, e instanceof Error ? e.stack : undefined);
      }
    },
  );
}
