/**
 * The code annotations of analysed models in the user's source files: a gutter icon coloured
 * by severity and an end-of-line label per site, a hover with the numbers, a CodeLens, and
 * Problems entries. Annotations are rebuilt when a report is shown (a finished analysis, Show
 * Report, a restored panel) and marked stale when a file changes under them. Nothing here
 * writes a file.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { mapReportToSource } from '../../sourceMapping';
import type { SourceMapping, SourceSite } from '../../sourceMapping/types';
import type { AnalysisReport } from '../../report/schema';
import { COMMANDS } from '../commands/ids';
import type { Log } from '../output';
import { codeLensTitle } from './format';
import { groupFindings } from './findings';
import { gatherSources, readText } from './gather';
import { hoverMarkdown } from './hover';
import { SEVERITIES, type Severity } from './severity';
import { annotationsByLine, buildSiteViews, primarySites, sitesByFile, type LineAnnotation, type SiteView } from './sites';
import { StalenessTracker } from './staleness';
import { offerConfiguration } from './configure';
import { UnplacedNotices } from './unplacedNotice';

export const ANNOTATIONS_ENABLED_KEY = 'annotations.enabled';

type DecorationKey = Severity | 'stale';
const DECORATION_KEYS: readonly DecorationKey[] = [...SEVERITIES, 'stale'];

interface Entry {
  readonly report: AnalysisReport;
  readonly mapping: SourceMapping;
  readonly views: readonly SiteView[];
  readonly byFile: ReadonlyMap<string, readonly SiteView[]>;
  readonly primary: ReadonlyMap<number, SourceSite>;
  readonly tracker: StalenessTracker;
  readonly gscThreshold: number;
}

/** The report identity: a new run (or another model file) gives a new key. */
function reportKey(report: AnalysisReport): string {
  return `${report.model.path}\n${report.model.contentHash}\n${report.createdAt}`;
}

export class CodeAnnotations implements vscode.Disposable, vscode.HoverProvider, vscode.CodeLensProvider {
  private readonly entries = new Map<string, Entry>();
  /** In-flight updates per model, so a reveal can wait for the mapping of the report it shows. */
  private readonly pending = new Map<string, { key: string; done: Promise<void> }>();
  /** Gutter icons, one type per severity (an icon cannot vary per decoration). */
  private readonly decorationTypes: ReadonlyMap<DecorationKey, vscode.TextEditorDecorationType>;
  /** The end-of-line labels (text and colour vary per decoration). */
  private readonly labelType = vscode.window.createTextEditorDecorationType({ rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed });
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('gradientLens');
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** The toggle command's choice for this session; undefined follows the setting. */
  private override: boolean | undefined;
  /** The one "could not be placed" notification on screen, and the sets already announced. */
  private readonly unplacedNotices = new UnplacedNotices();

  constructor(
    extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {
    this.decorationTypes = new Map(
      DECORATION_KEYS.map((key) => [
        key,
        vscode.window.createTextEditorDecorationType({
          gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', 'annotations', `${key}.svg`),
          gutterIconSize: '70%',
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      ]),
    );
    const selector: vscode.DocumentSelector = { scheme: 'file' };
    this.disposables.push(
      this.diagnostics,
      this.lensesChanged,
      ...this.decorationTypes.values(),
      this.labelType,
      vscode.languages.registerHoverProvider(selector, this),
      vscode.languages.registerCodeLensProvider(selector, this),
      vscode.window.onDidChangeVisibleTextEditors(() => this.renderEditors()),
      // Only annotated files are hashed (not every keystroke in every document).
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0 && e.document.uri.scheme === 'file' && this.isTracked(e.document.uri.fsPath))
          this.onText(e.document.uri, e.document.getText());
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`gradientLens.${ANNOTATIONS_ENABLED_KEY}`)) this.override = undefined;
        if (e.affectsConfiguration('gradientLens')) this.rebuildViews();
      }),
    );
    // Saved changes made outside the editor (git checkout, another tool) also make files stale.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{py,js,ts,mjs,cjs,json}', true, false, false);
    const fromDisk = (uri: vscode.Uri): void => {
      if (!this.isTracked(uri.fsPath) || vscode.workspace.textDocuments.some((d) => d.uri.fsPath === uri.fsPath)) return;
      void readText(uri).then((text) => this.onText(uri, text ?? ''));
    };
    this.disposables.push(watcher, watcher.onDidChange(fromDisk), watcher.onDidDelete(fromDisk));
  }

  get enabled(): boolean {
    return this.override ?? vscode.workspace.getConfiguration('gradientLens').get<boolean>(ANNOTATIONS_ENABLED_KEY, true) !== false;
  }

  toggle(): boolean {
    this.override = !this.enabled;
    this.renderAll();
    return this.override;
  }

  /** Maps the report onto the workspace's code and shows the annotations (once per run). */
  update(report: AnalysisReport): Promise<void> {
    const modelPath = report.model.path;
    const key = reportKey(report);
    const current = this.entries.get(modelPath);
    if (current && reportKey(current.report) === key) return Promise.resolve();
    const inFlight = this.pending.get(modelPath);
    if (inFlight?.key === key) return inFlight.done;
    const done = this.build(report)
      .catch((e: unknown) =>
        this.log.error(`code annotations for ${path.basename(modelPath)} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
      )
      .finally(() => {
        if (this.pending.get(modelPath)?.key === key) this.pending.delete(modelPath);
      });
    this.pending.set(modelPath, { key, done });
    return done;
  }

  /** Whether the latest report of the model has a site for the block. */
  siteOf(modelPath: string, blockIndex: number): SourceSite | undefined {
    return this.entries.get(modelPath)?.primary.get(blockIndex);
  }

  /**
   * Selecting a block in the report: shows its source line beside the panel. Returns false
   * when the caller should fall back (a model.json reveals its layer entry); for other
   * formats (a binary .onnx) it explains why there is no place instead of opening the binary.
   */
  async revealBlock(report: AnalysisReport, blockIndex: number, viewColumn: vscode.ViewColumn): Promise<boolean> {
    await this.update(report);
    const site = this.siteOf(report.model.path, blockIndex);
    if (site) {
      const r = site.range;
      const selection = new vscode.Range(r.startLine, r.startCharacter, r.startLine, r.endLine === r.startLine ? r.endCharacter : r.startCharacter);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(r.path));
      const editor = await vscode.window.showTextDocument(doc, { viewColumn, preserveFocus: true, selection });
      editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return true;
    }
    if (report.model.path.toLowerCase().endsWith('.json')) return false;
    const block = report.blocks.find((b) => b.index === blockIndex);
    const reason =
      this.entries.get(report.model.path)?.mapping.unplaced.find((u) => u.blockIndex === blockIndex)?.reason ?? 'no source mapping for this model yet';
    this.log.info(`block ${blockIndex} (${block?.name ?? '?'}) has no place in the source: ${reason}`);
    // The open "could not be placed" notification already says so: no second one beside it.
    if (!this.unplacedNotices.claim()) return true;
    const choice = await vscode.window.showInformationMessage(
      `Gradient Lens: block ${blockIndex} (${block?.name ?? '?'}) has no place in the source code: ${reason}`,
      'Configure…',
    );
    this.showGathered();
    if (choice === 'Configure…') await offerConfiguration(report, this.entries.get(report.model.path)?.mapping);
    return true;
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (!this.enabled) return undefined;
    const onLine = this.viewsIn(document.uri.fsPath).filter(({ view }) => view.site.range.startLine === position.line);
    // Several sites on one line (a minified model.json): the one under the cursor, if any.
    const under = onLine.filter(({ view }) => {
      const r = view.site.range;
      return r.endLine > r.startLine || (position.character >= r.startCharacter && position.character <= r.endCharacter);
    });
    const here = under.length > 0 ? under : onLine;
    if (here.length === 0) return undefined;
    const contents = here.map(({ entry, view }) => {
      const md = new vscode.MarkdownString(
        hoverMarkdown({
          view,
          stale: entry.tracker.isStale(document.uri.fsPath),
          openLink: (i) => openInReportLink(entry.report.model.path, i),
          modelFileName: entry.report.model.fileName,
        }),
      );
      // Command links run only this extension's own open-in-report command.
      md.isTrusted = { enabledCommands: [COMMANDS.openInReport] };
      return md;
    });
    return new vscode.Hover(contents, document.lineAt(position.line).range);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.enabled) return [];
    return this.linesIn(document.uri.fsPath)
      .filter(({ annotation }) => annotation.line < document.lineCount)
      .map(({ entry, annotation }) => {
        const line = annotation.line;
        const worst = annotation.blocks.reduce((a, b) => (b.gscToOutput.value > a.gscToOutput.value ? b : a));
        return new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
          title: codeLensTitle(annotation.blocks, entry.tracker.isStale(document.uri.fsPath)),
          tooltip: `Open the Gradient Lens report of ${entry.report.model.fileName} on block ${worst.index}`,
          command: COMMANDS.openInReport,
          arguments: [entry.report.model.path, worst.index],
        });
      });
  }

  report(modelPath: string): AnalysisReport | undefined {
    return this.entries.get(modelPath)?.report;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }

  private async build(report: AnalysisReport): Promise<void> {
    const modelPath = report.model.path;
    const name = path.basename(modelPath);
    const gathered = await gatherSources(modelPath);
    gathered.notes.forEach((n) => this.log.warn(`code annotations for ${name}: ${n}`));
    const mapping = mapReportToSource({ report, modelFileText: gathered.modelFileText, sources: gathered.sources, hints: gathered.hints });
    // A newer report of the same model may have finished while the files were read.
    if (this.pending.get(modelPath)?.key !== reportKey(report)) return;
    const tracker = new StalenessTracker();
    const files = new Set(mapping.sites.map((s) => s.range.path));
    for (const source of gathered.sources) if (files.has(source.path)) tracker.record(source.path, source.text);
    const views = buildSiteViews(report, mapping, this.gscThreshold(modelPath));
    this.entries.set(modelPath, {
      report,
      mapping,
      views,
      byFile: sitesByFile(views),
      primary: primarySites(mapping.sites),
      tracker,
      gscThreshold: this.gscThreshold(modelPath),
    });
    const placed = new Set(mapping.sites.flatMap((s) => s.instances.map((i) => i.blockIndex)));
    this.log.info(
      `code annotations for ${name}: searched ${gathered.origin}; ${placed.size} of ${report.blocks.length} blocks placed at ${mapping.sites.length} site(s) in ${files.size} file(s)` +
        (files.size > 0 ? ` (${[...files].map((f) => vscode.workspace.asRelativePath(f)).join(', ')})` : ''),
    );
    this.renderAll();
    this.announceUnplaced(report, mapping);
  }

  private announceUnplaced(report: AnalysisReport, mapping: SourceMapping): void {
    if (mapping.unplaced.length === 0) return;
    for (const u of mapping.unplaced) this.log.info(`block ${u.blockIndex} "${u.name}" could not be placed in the source: ${u.reason}`);
    if (!this.enabled) return;
    // Once per model and set of unplaced blocks in a session (a watched model re-analysed on
    // every checkpoint would repeat it), and one notification on screen at a time.
    const text = this.unplacedNotices.offer({
      key: `${report.model.path}\n${mapping.unplaced.map((u) => u.name).join('\n')}`,
      fileName: report.model.fileName,
      unplaced: mapping.unplaced.map((u) => u.name),
      blocks: report.blocks.length,
    });
    if (text === undefined) return;
    void vscode.window.showInformationMessage(text, 'Configure…', 'Show Output').then(async (choice) => {
      this.showGathered();
      if (choice === 'Configure…') await offerConfiguration(report, mapping);
      if (choice === 'Show Output') this.log.show(true);
    });
  }

  /** What was announced while a notification was open, as one notification. */
  private showGathered(): void {
    const text = this.unplacedNotices.closed();
    if (text === undefined) return;
    void vscode.window.showInformationMessage(text, 'Show Output').then((choice) => {
      this.showGathered();
      if (choice === 'Show Output') this.log.show(true);
    });
  }

  private gscThreshold(modelPath: string): number {
    const value = vscode.workspace.getConfiguration('gradientLens', vscode.Uri.file(modelPath)).get<unknown>('thresholds.gsc');
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 100;
  }

  /** Settings changed (threshold, enabled): the same mappings, re-evaluated. */
  private rebuildViews(): void {
    for (const [modelPath, entry] of this.entries) {
      const gscThreshold = this.gscThreshold(modelPath);
      const views = buildSiteViews(entry.report, entry.mapping, gscThreshold);
      this.entries.set(modelPath, { ...entry, views, byFile: sitesByFile(views), gscThreshold });
    }
    this.renderAll();
  }

  private isTracked(file: string): boolean {
    return [...this.entries.values()].some((e) => e.tracker.isTracked(file));
  }

  private onText(uri: vscode.Uri, text: string): void {
    if (uri.scheme !== 'file') return;
    let changed = false;
    for (const entry of this.entries.values()) if (entry.tracker.observe(uri.fsPath, text)) changed = true;
    if (changed) this.renderAll();
  }

  private viewsIn(file: string): { entry: Entry; view: SiteView }[] {
    return [...this.entries.values()].flatMap((entry) => (entry.byFile.get(file) ?? []).map((view) => ({ entry, view })));
  }

  /** The merged per-line annotations of a file, per model. */
  private linesIn(file: string): { entry: Entry; annotation: LineAnnotation }[] {
    return [...this.entries.values()].flatMap((entry) =>
      annotationsByLine(entry.byFile.get(file) ?? [], entry.gscThreshold).map((annotation) => ({ entry, annotation })),
    );
  }

  private renderAll(): void {
    this.renderEditors();
    this.renderDiagnostics();
    this.lensesChanged.fire();
  }

  private renderEditors(): void {
    for (const editor of vscode.window.visibleTextEditors) this.renderEditor(editor);
  }

  private renderEditor(editor: vscode.TextEditor): void {
    const doc = editor.document;
    const buckets = new Map<DecorationKey, vscode.DecorationOptions[]>();
    const labels: vscode.DecorationOptions[] = [];
    if (this.enabled && doc.uri.scheme === 'file') {
      for (const { entry, annotation } of this.linesIn(doc.uri.fsPath)) {
        const line = annotation.line;
        if (line >= doc.lineCount) continue;
        const stale = entry.tracker.isStale(doc.uri.fsPath);
        const key: DecorationKey = stale ? 'stale' : annotation.severity;
        // The icon at the line's start (a wrapped line would repeat it on every row), the label at its end.
        buckets.set(key, [...(buckets.get(key) ?? []), { range: new vscode.Range(line, 0, line, 0) }]);
        const end = doc.lineAt(line).range.end;
        labels.push({
          range: new vscode.Range(end, end),
          renderOptions: {
            after: {
              contentText: `${annotation.label}${stale ? ' (stale)' : ''}`,
              color: new vscode.ThemeColor(`gradientLens.annotation.${key}`),
              margin: '0 0 0 2em',
              fontStyle: 'italic',
            },
          },
        });
      }
    }
    for (const [key, type] of this.decorationTypes) editor.setDecorations(type, buckets.get(key) ?? []);
    editor.setDecorations(this.labelType, labels);
  }

  private renderDiagnostics(): void {
    this.diagnostics.clear();
    if (!this.enabled) return;
    const perFile = new Map<string, vscode.Diagnostic[]>();
    for (const entry of this.entries.values()) {
      for (const view of entry.views) {
        if (view.findings.length === 0) continue;
        const r = view.site.range;
        const stale = entry.tracker.isStale(r.path);
        // The first line of the site (a class's whole body would be too much to underline).
        const end = r.endLine === r.startLine ? r.endCharacter : r.startCharacter + Math.max(1, view.site.label.length);
        const range = new vscode.Range(r.startLine, r.startCharacter, r.startLine, end);
        const list = perFile.get(r.path) ?? [];
        // One entry per kind at this line, listing its blocks (not one per block).
        for (const g of groupFindings(view.findings)) {
          const d = new vscode.Diagnostic(
            range,
            `${g.message}${stale ? ' (stale: the file changed since the analysis)' : ''}`,
            vscode.DiagnosticSeverity.Warning,
          );
          d.source = `Gradient Lens (${entry.report.model.fileName})`;
          d.code = g.kind;
          list.push(d);
        }
        perFile.set(r.path, list);
      }
    }
    for (const [file, list] of perFile) this.diagnostics.set(vscode.Uri.file(file), list);
  }
}

/** A `command:` link that opens the report of the model on the block. */
export function openInReportLink(modelPath: string, blockIndex: number): string {
  return `command:${COMMANDS.openInReport}?${encodeURIComponent(JSON.stringify([modelPath, blockIndex]))}`;
}
