/**
 * The choices of "Analyze With Data…" turned into the request's data and reference fields.
 * Pure, so the mapping is unit-tested without VS Code; analyzeWithData.ts asks the questions.
 */
import type { AnalyzeRequest } from '../../engine/api';
import type { DataRequest } from '../../data/samples';
import type { DataConfig } from './dataConfig';

/** Where the labels come from, as the user picked it. */
export type LabelChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'csvColumn'; readonly column: string }
  /** Image class sub-folders, or the "labels" array inside the JSON data: read with the data. */
  | { readonly kind: 'withData' };

export interface DataChoices {
  readonly dataPath: string;
  readonly isFolder: boolean;
  readonly labels: LabelChoice;
  readonly reference: 'output' | 'error';
}

export function requestInput(choices: DataChoices, config: DataConfig): Pick<AnalyzeRequest, 'data' | 'reference'> {
  const l = choices.labels;
  const data: DataRequest = {
    path: choices.dataPath,
    sample: config.sample,
    ...(choices.isFolder && { mean: config.mean, std: config.std, folderLabels: l.kind === 'withData' }),
    ...(l.kind === 'file' && { labels: l.path }),
    ...(l.kind === 'csvColumn' && { labelColumn: l.column }),
  };
  return { data, reference: l.kind === 'none' ? 'output' : choices.reference };
}

/** The label sources that make sense for a data file or folder, in the order offered. */
export function labelOptions(dataPath: string, isFolder: boolean): LabelChoice['kind'][] {
  const ext = dataPath.toLowerCase().split('.').pop();
  if (isFolder) return ['withData', 'file', 'none'];
  if (ext === 'csv') return ['csvColumn', 'file', 'none'];
  if (ext === 'json') return ['withData', 'file', 'none'];
  return ['file', 'none'];
}
