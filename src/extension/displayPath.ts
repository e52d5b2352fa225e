/** How a model's path reads in titles and pick lists (pure: the caller supplies the relative path). */
import * as path from 'node:path';

/**
 * The model's folder and name ("resnet/model.onnx"): enough to tell apart the many files called
 * model.onnx. `relative` is the workspace-relative path (or the absolute path outside the
 * workspace); a file at the workspace root is just its name.
 */
export function shortModelPath(relative: string): string {
  const parts = relative.split(/[\\/]+/).filter((p) => p.length > 0);
  return parts.slice(-2).join('/') || path.basename(relative);
}

export function reportPanelTitle(relative: string): string {
  return `Gradient Lens: ${shortModelPath(relative)}`;
}
