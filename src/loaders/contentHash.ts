/**
 * The model's content hash: sha256 over the model file and the files it references, in order:
 * the weight shards a TensorFlow.js model.json lists, the external-data files of an ONNX model.
 * Shared by the loaders (the report's model.contentHash) and the extension host (the analysis
 * cache), so both compute the same value. Light on purpose: only node:crypto, node:fs, node:path
 * and the loaders' path checks, so the extension bundle can import it without pulling in any
 * engine code. Referenced files pass the same checks as when loading (inside the model's folder,
 * regular files); each file is streamed up to the size stat gave, except an ONNX model file,
 * which is read whole to find its external data, and whose bytes are then hashed as they are.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from './errors';
import { checkFileToRead, resolveInsideModelDir } from './paths';

export async function hashFiles(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  await hashInto(h, files);
  return h.digest('hex');
}

/** Feeds each file to `h`, in order, streamed up to the size stat gives. */
async function hashInto(h: Hash, files: readonly string[]): Promise<void> {
  for (const f of files) {
    const { size, problem } = checkFileToRead(f);
    if (problem !== undefined) throw new ModelLoadError(f, `the file ${problem}`);
    if (size === 0) continue;
    await new Promise<void>((resolve, reject) => {
      // `end` bounds the read to the size stat reported, so a file that keeps growing cannot hold the hash forever.
      const stream = createReadStream(f, { start: 0, end: size - 1 });
      stream.on('data', (chunk) => h.update(chunk));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
  }
}

async function readModelFile(modelPath: string): Promise<Buffer> {
  const { problem } = checkFileToRead(modelPath);
  if (problem !== undefined) throw new ModelLoadError(modelPath, `the file ${problem}`);
  return fs.readFile(modelPath);
}

/** Weight files a model.json lists, resolved (and refused) as the tfjs loader resolves them. */
export async function tfjsWeightFiles(modelJsonPath: string): Promise<string[]> {
  const json = JSON.parse((await readModelFile(modelJsonPath)).toString('utf8')) as { weightsManifest?: { paths?: unknown }[] };
  const groups = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  return groups.flatMap((g) =>
    (Array.isArray(g?.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : []).map((p) => resolveInsideModelDir(modelJsonPath, p)),
  );
}

/** External-data files of an ONNX model, each once, in order of first mention, resolved as the onnx loader resolves them. */
export async function onnxExternalDataFiles(onnxPath: string): Promise<string[]> {
  return externalDataFilesIn(await readModelFile(onnxPath), onnxPath);
}

function externalDataFilesIn(bytes: Uint8Array, onnxPath: string): string[] {
  const locations = new Set<string>();
  collectExternalLocations(bytes, 'model', locations);
  return [...locations].map((location) => resolveInsideModelDir(onnxPath, location));
}

/** The files a model's content hash covers: the model file, then the files it references. */
export async function modelContentFiles(modelPath: string): Promise<string[]> {
  const ext = path.extname(modelPath).toLowerCase();
  if (ext === '.json') return [modelPath, ...(await tfjsWeightFiles(modelPath))];
  if (ext === '.onnx') return [modelPath, ...(await onnxExternalDataFiles(modelPath))];
  return [modelPath];
}

/** The same value the engine writes to report.model.contentHash for this model. */
export async function modelContentHash(modelPath: string): Promise<string> {
  if (path.extname(modelPath).toLowerCase() !== '.onnx') return hashFiles(await modelContentFiles(modelPath));
  // The ONNX file is read whole to find its external data: those bytes are hashed, not read again.
  const bytes = await readModelFile(modelPath);
  const h = createHash('sha256').update(bytes);
  await hashInto(h, externalDataFilesIn(bytes, modelPath));
  return h.digest('hex');
}

// A minimal protobuf walk over the messages of onnx.proto that can hold tensors, so the
// extension host finds external-data locations without bundling the ONNX decoder. Field
// numbers are onnx.proto's; a malformed message simply ends the walk (the loader reports it).
type Message = 'model' | 'function' | 'graph' | 'node' | 'attribute' | 'sparse' | 'tensor';

/** Sub-messages worth descending into: message kind → field number → kind of the field's message. */
const CHILDREN: Readonly<Record<Exclude<Message, 'tensor'>, Readonly<Record<number, Message>>>> = {
  model: { 7: 'graph', 25: 'function' },
  function: { 7: 'node' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
};
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const DATA_LOCATION_EXTERNAL = 1;

interface Field {
  readonly field: number;
  readonly wire: number;
  /** The varint's value (wire type 0), or the payload's bounds (wire type 2). */
  readonly value: number;
  readonly start: number;
  readonly end: number;
}

function readVarint(buf: Uint8Array, pos: number, end: number): [value: number, next: number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < end && i < pos + 10; i++) {
    value += (buf[i] & 0x7f) * scale;
    scale *= 128;
    if ((buf[i] & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const tag = readVarint(buf, pos, end);
    if (!tag) return;
    const [key, afterTag] = tag;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const v = readVarint(buf, afterTag, end);
      if (!v) return;
      yield { field, wire, value: v[0], start: afterTag, end: v[1] };
      pos = v[1];
    } else if (wire === 2) {
      const len = readVarint(buf, afterTag, end);
      if (!len || len[1] + len[0] > end) return;
      yield { field, wire, value: len[0], start: len[1], end: len[1] + len[0] };
      pos = len[1] + len[0];
    } else if (wire === 1 || wire === 5) {
      pos = afterTag + (wire === 1 ? 8 : 4);
    } else {
      return;
    }
  }
}

function collectExternalLocations(buf: Uint8Array, root: Message, out: Set<string>): void {
  // An explicit stack: nesting depth comes from the file, so recursion could overflow.
  const stack: { kind: Message; start: number; end: number }[] = [{ kind: root, start: 0, end: buf.length }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.kind === 'tensor') {
      const location = tensorExternalLocation(buf, top.start, top.end);
      if (location !== undefined) out.add(location);
      continue;
    }
    const children = CHILDREN[top.kind];
    const found: { kind: Message; start: number; end: number }[] = [];
    for (const f of fields(buf, top.start, top.end)) {
      const kind = f.wire === 2 ? children[f.field] : undefined;
      if (kind !== undefined) found.push({ kind, start: f.start, end: f.end });
    }
    // Reversed onto the stack, so files are listed in the order the model mentions them.
    for (let i = found.length - 1; i >= 0; i--) stack.push(found[i]);
  }
}

function tensorExternalLocation(buf: Uint8Array, start: number, end: number): string | undefined {
  let external = false;
  let location: string | undefined;
  for (const f of fields(buf, start, end)) {
    if (f.field === TENSOR_DATA_LOCATION && f.wire === 0) external = f.value === DATA_LOCATION_EXTERNAL;
    if (f.field === TENSOR_EXTERNAL_DATA && f.wire === 2) {
      let key: string | undefined;
      let value: string | undefined;
      for (const e of fields(buf, f.start, f.end)) {
        if (e.wire !== 2) continue;
        const text = Buffer.from(buf.buffer, buf.byteOffset + e.start, e.end - e.start).toString('utf8');
        if (e.field === 1) key = text;
        if (e.field === 2) value = text;
      }
      if (key === 'location' && value !== undefined) location = value;
    }
  }
  return external && location !== undefined && location !== '' ? location : undefined;
}
