/**
 * Where the analysis of a model file is cut (AnalyzeRequest.output / from), chosen in the
 * "Analyze Up To Tensor…" pick list and remembered per model file in the workspace state, as
 * the sizes of dynamic dimensions are (modelDimSizes.ts).
 */
import type * as vscode from 'vscode';

const KEY = 'gradientLens.cutByModel';

export interface ModelCut {
  /** The tensor measured to instead of the model's output. */
  readonly output?: string;
  /** The tensor the analysis starts at instead of the model input. */
  readonly from?: string;
}

export class ModelCuts {
  constructor(private readonly state: vscode.Memento) {}

  /** The remembered cut, or undefined when the model is analysed whole. */
  get(modelPath: string): ModelCut | undefined {
    return this.all()[modelPath];
  }

  /** Remembers `cut`; a cut with neither end clears it. */
  async set(modelPath: string, cut: ModelCut): Promise<void> {
    const all = this.all();
    const clean: ModelCut = { ...(cut.output !== undefined && { output: cut.output }), ...(cut.from !== undefined && { from: cut.from }) };
    if (clean.output === undefined && clean.from === undefined) delete all[modelPath];
    else all[modelPath] = clean;
    await this.state.update(KEY, all);
  }

  private all(): Record<string, ModelCut> {
    const v = this.state.get<unknown>(KEY);
    if (typeof v !== 'object' || v === null) return {};
    // A workspace state can hold anything: keep only string ends.
    const out: Record<string, ModelCut> = {};
    for (const [model, raw] of Object.entries(v as Record<string, unknown>)) {
      if (typeof raw !== 'object' || raw === null) continue;
      const { output, from } = raw as { output?: unknown; from?: unknown };
      const cut: ModelCut = { ...(typeof output === 'string' && { output }), ...(typeof from === 'string' && { from }) };
      if (cut.output !== undefined || cut.from !== undefined) out[model] = cut;
    }
    return out;
  }
}
