/**
 * The model's content hash: sha256 over the model file and, for TensorFlow.js, the weight
 * files its model.json lists, in order. Shared by the loaders (the report's model.contentHash)
 * and the extension host (the analysis cache), so both compute the same value. Light on
 * purpose: only node:crypto, node:fs and node:path, so the extension bundle can import it
 * without pulling in any engine code. Files are streamed, never read whole into memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';

export async function hashFiles(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(f);
      stream.on('data', (chunk) => h.update(chunk));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
  }
  return h.digest('hex');
}

/** Weight files a model.json lists (paths relative to its folder, as the tfjs loader reads them). */
export async function tfjsWeightFiles(modelJsonPath: string): Promise<string[]> {
  const json = JSON.parse(await fs.readFile(modelJsonPath, 'utf8')) as { weightsManifest?: { paths?: unknown }[] };
  const dir = path.dirname(modelJsonPath);
  const groups = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  return groups.flatMap((g) => (Array.isArray(g?.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : []).map((p) => path.join(dir, p)));
}

/** The files a model's content hash covers: the model file, then its weight files (tfjs). */
export async function modelContentFiles(modelPath: string): Promise<string[]> {
  if (path.extname(modelPath).toLowerCase() === '.json') return [modelPath, ...(await tfjsWeightFiles(modelPath))];
  return [modelPath];
}

/** The same value the engine writes to report.model.contentHash for this model. */
export async function modelContentHash(modelPath: string): Promise<string> {
  return hashFiles(await modelContentFiles(modelPath));
}
