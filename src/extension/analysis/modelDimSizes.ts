/** Sizes given to a model's dynamic input dimensions, remembered per model file in the workspace state. */
import type * as vscode from 'vscode';

const KEY = 'gradientLens.dimSizesByModel';

export class ModelDimSizes {
  constructor(private readonly state: vscode.Memento) {}

  get(modelPath: string): Readonly<Record<string, number>> {
    return this.all()[modelPath] ?? {};
  }

  async set(modelPath: string, sizes: Readonly<Record<string, number>>): Promise<void> {
    await this.state.update(KEY, { ...this.all(), [modelPath]: { ...this.get(modelPath), ...sizes } });
  }

  private all(): Record<string, Record<string, number>> {
    const v = this.state.get<unknown>(KEY);
    if (typeof v !== 'object' || v === null) return {};
    // Stored by this class, but a workspace state can be anything: keep only whole positive sizes.
    const out: Record<string, Record<string, number>> = {};
    for (const [model, sizes] of Object.entries(v as Record<string, unknown>)) {
      if (typeof sizes !== 'object' || sizes === null) continue;
      out[model] = Object.fromEntries(
        Object.entries(sizes as Record<string, unknown>).filter((e): e is [string, number] => Number.isInteger(e[1]) && (e[1] as number) > 0),
      );
    }
    return out;
  }
}
