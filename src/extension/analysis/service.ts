/**
 * Runs analyses for the commands: workspace trust, settings, the progress notification with
 * Cancel, error reporting, and handing the report to the results panel. The computation
 * itself happens in the worker process (WorkerClient), so the editor never blocks.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { AnalyzeRequest } from '../../engine/api';
import type { AnalysisReport, PartialReport } from '../../report/schema';
import type { TensorListing } from '../../loaders/tensorList';
import { describeSettings, parseConfig, type GradientLensConfig, type UserSettings } from '../config';
import { showErrorWithDetails, type Log } from '../output';
import { AnalysisError, WorkerClient } from './workerClient';
import { defaultDimSize, parseDimSize, parseDynamicDimsError, type DynamicDimsRequest } from './dynamicDims';
import { ModelDimSizes } from './modelDimSizes';
import { ModelCuts, type ModelCut } from './modelCuts';
import { describeCut, outputItems, parseCutHint, startItems, withoutCliAdvice } from './tensorPick';
import { failureNotice } from './failure';
import { reducedSettingsNotice } from './notices';
import { estimateOffer, type EstimateOffer } from './estimateOffer';
import { shortModelPath } from '../displayPath';
import type { CheaperOption } from '../../engine/estimate';
import { ProgressTracker } from './progress';
import { statusText } from '../statusText';

export const CONTEXT_RUNNING = 'gradientLens.analysisRunning';
/** The button of a refusal for unsupported ops that opens the tensor pick list. */
export const PICK_OUTPUT_ACTION = 'Pick Output Tensor…';
/** How long a request made in an untrusted workspace waits for the user to grant trust. */
const TRUST_WAIT_MS = 5 * 60_000;

/** A finished analysis, as its subscribers see it. */
export interface FinishedAnalysis {
  readonly report: AnalysisReport;
  /**
   * Adds a step that handles the report. The steps run one after another in the order the
   * subscribers subscribed, and analyze() resolves after the last (so "history before the
   * panel" is a matter of subscription order, and a command's promise covers showing it).
   */
  waitUntil(step: () => Promise<unknown>): void;
}

export class AnalysisService implements vscode.Disposable {
  private readonly client: WorkerClient;
  private current: { readonly model: vscode.Uri; readonly abort: AbortController; readonly done: Promise<unknown> } | undefined;
  private readonly finished = new vscode.EventEmitter<FinishedAnalysis>();
  /** Fired with every report the worker returns. */
  readonly onDidFinishAnalysis = this.finished.event;
  private readonly partial = new vscode.EventEmitter<PartialReport>();
  /** The GSC to the output of a running analysis (its first chart); onDidFinishAnalysis or onDidEndWithoutReport follows. */
  readonly onDidReceivePartial = this.partial.event;
  private readonly ended = new vscode.EventEmitter<string>();
  /** An analysis failed or was cancelled: the model path, so a panel showing its partial report can go back. */
  readonly onDidEndWithoutReport = this.ended.event;

  /** Sizes of dynamic input dimensions the user gave, per model file (absent in tests without a workspace state). */
  private readonly dimSizes: ModelDimSizes | undefined;
  /** Where each model's analysis is cut ("Analyze Up To Tensor…"), per model file. */
  private readonly cuts: ModelCuts | undefined;

  constructor(
    workerPath: string,
    private readonly log: Log,
    workspaceState?: vscode.Memento,
  ) {
    this.client = new WorkerClient({ workerPath, log: (line) => log.info(line) });
    this.dimSizes = workspaceState ? new ModelDimSizes(workspaceState) : undefined;
    this.cuts = workspaceState ? new ModelCuts(workspaceState) : undefined;
  }

  /** The tensors the analysis of this model is cut at, if the user chose any. */
  cutOf(model: vscode.Uri): ModelCut | undefined {
    return this.cuts?.get(model.fsPath);
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** The effective configuration for a model (folder settings apply; sizes given for this file come before the setting's sizes by name). */
  config(model: vscode.Uri): GradientLensConfig {
    const config = parseConfig(vscode.workspace.getConfiguration('gradientLens', model));
    config.problems.forEach((p) => this.log.warn(p));
    const remembered = this.dimSizes?.get(model.fsPath) ?? {};
    if (Object.keys(remembered).length === 0) return config;
    return { ...config, settings: { ...config.settings, dimOverrides: { ...config.settings.dimOverrides, ...remembered } } };
  }

  /**
   * Analyses the model; `overrides` replace settings for this run only, `input` gives sample
   * data and the reference layer ("Analyze With Data…"; the worker reads the files). Resolves
   * when finished.
   */
  async analyze(
    model: vscode.Uri,
    overrides: Partial<UserSettings> = {},
    input: Pick<AnalyzeRequest, 'data' | 'reference' | 'reducedSettings'> = {},
  ): Promise<void> {
    if (!(await this.ensureTrusted())) {
      this.log.info(`not analysing ${model.fsPath}: the workspace is not trusted`);
      return;
    }
    if (this.current) {
      const name = path.basename(this.current.model.fsPath);
      const choice = await vscode.window.showWarningMessage(
        `Gradient Lens is analyzing ${name}. Stop it and analyze ${path.basename(model.fsPath)}?`,
        'Stop and Analyze',
      );
      if (choice !== 'Stop and Analyze') return;
      const running = this.current;
      if (running) {
        running.abort.abort();
        await running.done;
      }
    }
    const { settings: configured, thresholds, estimateThresholdMs } = this.config(model);
    const settings: UserSettings = { ...configured, ...overrides };
    const cut = this.cutOf(model);
    const request: AnalyzeRequest = { modelPath: model.fsPath, settings, thresholds, ...cut, ...input };
    const abort = new AbortController();
    const fileName = path.basename(model.fsPath);
    /** Cheaper settings the user chose from the estimate's offer: this run is stopped and they run instead. */
    let restart: { readonly option: CheaperOption; readonly text: string } | undefined;
    this.log.info(`analysing ${model.fsPath} (${describeSettings(settings)})${cut ? ` ${describeCut(cut)}` : ''}`);
    if (input.data)
      this.log.info(`sample data ${input.data.path}${input.data.labels ? `, labels ${input.data.labels}` : ''}; reference ${input.reference ?? 'output'}`);
    const started = Date.now();
    const done = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Gradient Lens: ${fileName}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        const tracker = new ProgressTracker();
        progress.report({ message: 'starting the analysis process' });
        let offered = input.reducedSettings !== undefined; // a run already reduced is not offered again
        return this.client.analyze(request, {
          signal: abort.signal,
          onWorkerPid: (pid) => this.log.info(`analysis runs in worker pid ${pid}`),
          onPartial: (partial) => {
            this.log.info(`${fileName}: GSC to the output measured (${partial.blocks.length} blocks); the rest is computing`);
            this.partial.fire(partial);
          },
          onProgress: (event) => {
            const step = tracker.next(event);
            if (step) progress.report(step);
            if (event.estimate && !offered) {
              offered = true;
              this.log.info(`${fileName}: ${event.message} (forward pass ${event.estimate.forwardMs} ms, ${event.estimate.threads} thread(s))`);
              const offer = estimateOffer(shortModelPath(vscode.workspace.asRelativePath(model)), event.estimate, estimateThresholdMs);
              if (offer) void this.offerCheaper(offer, abort, (option, text) => (restart = { option, text }));
            }
            this.log.trace(`${event.phase}: ${event.message}`);
          },
        });
      },
    );
    const current = {
      model,
      abort,
      done: Promise.resolve(done).then(
        () => undefined,
        () => undefined,
      ),
    };
    this.current = current;
    await vscode.commands.executeCommand('setContext', CONTEXT_RUNNING, true);
    let report: AnalysisReport | undefined;
    let failure: unknown;
    try {
      report = await done;
    } catch (e) {
      failure = e;
    } finally {
      // Cleared before any message is shown: a notification waiting for a click must not
      // keep the analysis counted as running.
      if (this.current === current) this.current = undefined;
      // From the state, not `false`: a run started meanwhile ("Stop and Analyze") is running.
      await vscode.commands.executeCommand('setContext', CONTEXT_RUNNING, this.current !== undefined);
    }
    if (report) {
      this.log.info(`analysis of ${fileName} finished in ${Date.now() - started} ms (${report.blocks.length} blocks, backend ${report.backend.name})`);
      const steps: (() => Promise<unknown>)[] = [];
      this.finished.fire({ report, waitUntil: (step) => steps.push(step) });
      for (const step of steps) await step();
      const reduced = reducedSettingsNotice(report);
      if (reduced) void vscode.window.showWarningMessage(reduced);
    } else if (restart) {
      this.log.info(`${fileName}: restarting with ${restart.option.label}`);
      await this.analyze(model, { ...overrides, ...restart.option.settings }, { ...input, reducedSettings: restart.text });
    } else {
      this.ended.fire(model.fsPath);
      const dynamic = failure instanceof AnalysisError && failure.code === 'input' ? parseDynamicDimsError(failure.message) : undefined;
      const blocked =
        failure instanceof AnalysisError && (failure.code === 'unsupported-op' || failure.code === 'model-load') ? parseCutHint(failure.message) : undefined;
      if (dynamic && this.dimSizes) void this.askDimSizes(model, dynamic, overrides, input);
      else if (blocked !== undefined && this.cuts) void this.offerCut(model, failure, blocked, overrides, input);
      else void this.reportFailure(fileName, failure);
    }
  }

  /** Asks for the sizes of the dynamic dimensions (one input box each), remembers them for this file, and runs again. */
  private async askDimSizes(
    model: vscode.Uri,
    request: DynamicDimsRequest,
    overrides: Partial<UserSettings>,
    input: Pick<AnalyzeRequest, 'data' | 'reference'>,
  ): Promise<void> {
    const fileName = path.basename(model.fsPath);
    this.log.info(`${fileName}: the input "${request.input}" has dynamic dimensions ${request.dims.join(', ')} (shape [${request.shape.join(', ')}])`);
    const choice = await vscode.window.showInformationMessage(
      `Gradient Lens: the input "${request.input}" of ${fileName} has dynamic sizes (${request.dims.join(', ')}). Give them sizes to analyze it; they are remembered for this file.`,
      'Set Sizes…',
    );
    if (choice !== 'Set Sizes…') return;
    const sizes: Record<string, number> = {};
    for (const [i, dim] of request.dims.entries()) {
      const text = await vscode.window.showInputBox({
        title: `Gradient Lens: size of "${dim}" (${i + 1} of ${request.dims.length}) for ${fileName}`,
        prompt: `The input "${request.input}" has the shape [${request.shape.join(', ')}]; the batch size is a setting.`,
        value: String(defaultDimSize(request, dim)),
        ignoreFocusOut: true,
        validateInput: (t) => {
          const v = parseDimSize(t);
          return typeof v === 'string' ? v : undefined;
        },
      });
      const v = text === undefined ? undefined : parseDimSize(text);
      if (typeof v !== 'number') return;
      sizes[dim] = v;
    }
    await this.dimSizes?.set(model.fsPath, sizes);
    this.log.info(
      `${fileName}: sizes ${Object.entries(sizes)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} remembered for this file`,
    );
    await this.analyze(model, overrides, input);
  }

  /**
   * The automatic output is blocked by unsupported ops: the error notification offers the
   * tensor pick list (the suggested tensor first) and runs again with the chosen cut.
   */
  private async offerCut(
    model: vscode.Uri,
    failure: unknown,
    suggested: string,
    overrides: Partial<UserSettings>,
    input: Pick<AnalyzeRequest, 'data' | 'reference'>,
  ): Promise<void> {
    const notice = failureNotice(path.basename(model.fsPath), failure);
    if (notice.kind !== 'error') return;
    this.log.error(notice.details ? `${notice.message}\n${notice.details}` : notice.message);
    const choice = await vscode.window.showErrorMessage(`Gradient Lens: ${withoutCliAdvice(notice.message)}`, PICK_OUTPUT_ACTION, 'Show details');
    if (choice === 'Show details') this.log.show(true);
    if (choice !== PICK_OUTPUT_ACTION) return;
    if (await this.pickCut(model, suggested)) await this.analyze(model, overrides, input);
  }

  /**
   * The pick lists of "Analyze Up To Tensor…": the model's tensors (read by the worker, with
   * op type and shape), first the output, then the start; the choice is remembered for this
   * file. Resolves true when a choice was made (false: dismissed, or the tensors could not be read).
   */
  async pickCut(model: vscode.Uri, suggested?: string): Promise<boolean> {
    const fileName = path.basename(model.fsPath);
    if (this.current) {
      void vscode.window.showInformationMessage(`Gradient Lens: wait for the analysis of ${path.basename(this.current.model.fsPath)} to finish, or cancel it.`);
      return false;
    }
    let listing: TensorListing;
    try {
      listing = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Gradient Lens: reading the tensors of ${fileName}` },
        () => this.client.listTensors(model.fsPath),
      );
    } catch (e) {
      await this.reportFailure(fileName, e);
      return false;
    }
    const current = this.cutOf(model);
    const output = await vscode.window.showQuickPick(outputItems(listing, { current: current?.output, suggested }), {
      title: `Gradient Lens: analyze ${fileName} up to tensor`,
      placeHolder: 'The tensor to measure the gradients to (type to filter by name or op)',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (output === undefined) return false;
    const from = await vscode.window.showQuickPick(startItems(listing, output.tensor, current?.from), {
      title: `Gradient Lens: start the analysis of ${fileName} at`,
      placeHolder: 'Boundary 0 of the analysis (the model input is still fed)',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (from === undefined) return false;
    const cut: ModelCut = { ...(output.tensor !== null && { output: output.tensor }), ...(from.tensor !== null && { from: from.tensor }) };
    await this.cuts?.set(model.fsPath, cut);
    this.log.info(`${fileName}: ${describeCut(cut) || 'the whole model'} remembered for this file`);
    return true;
  }

  cancel(): void {
    if (!this.current) {
      void vscode.window.showInformationMessage('Gradient Lens: no analysis is running.');
      return;
    }
    this.current.abort.abort();
  }

  dispose(): void {
    this.current?.abort.abort();
    this.client.dispose();
    this.finished.dispose();
    this.partial.dispose();
    this.ended.dispose();
  }

  private async ensureTrusted(): Promise<boolean> {
    if (vscode.workspace.isTrusted) return true;
    const choice = await vscode.window.showWarningMessage(
      'Gradient Lens runs a model from this workspace only when you trust the workspace.',
      { modal: true, detail: 'The model file is parsed and computed on in a separate process. Trust the workspace to analyze it.' },
      'Manage Workspace Trust',
    );
    if (choice !== 'Manage Workspace Trust') return false;
    // If the user grants trust in the editor that opens, go on with the analysis they asked for.
    const granted = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        subscription.dispose();
        resolve(false);
      }, TRUST_WAIT_MS);
      const subscription = vscode.workspace.onDidGrantWorkspaceTrust(() => {
        clearTimeout(timer);
        subscription.dispose();
        resolve(true);
      });
    });
    await vscode.commands.executeCommand('workbench.trust.manage');
    return granted;
  }

  /** Shows the offer while the run goes on; a chosen option stops it (the caller restarts it reduced). */
  private async offerCheaper(offer: EstimateOffer, abort: AbortController, choose: (option: CheaperOption, text: string) => void): Promise<void> {
    const button = await vscode.window.showWarningMessage(offer.message, ...offer.buttons);
    const option = offer.optionOf(button);
    if (!option || abort.signal.aborted || this.current?.abort !== abort) return;
    choose(option, offer.reducedText(option));
    abort.abort();
  }

  private async reportFailure(fileName: string, e: unknown): Promise<void> {
    const notice = failureNotice(fileName, e);
    if (notice.kind === 'cancelled') {
      this.log.info(`analysis of ${fileName} cancelled; the worker process has exited`);
      vscode.window.setStatusBarMessage(statusText('', fileName, ' cancelled'), 5000);
      return;
    }
    await showErrorWithDetails(this.log, notice.message, notice.details);
  }
}
