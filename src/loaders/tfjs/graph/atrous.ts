/**
 * TensorFlow lowers a dilated (atrous) convolution into SpaceToBatchND -> Conv2D or
 * DepthwiseConv2dNative (VALID, stride 1) -> BatchToSpaceND (RVM's MobileNetV3 encoder). The
 * three nodes are rewritten into the one convolution they compute: dilation = the block shape,
 * explicit padding = the SpaceToBatchND paddings less the BatchToSpaceND crops (a crop of the
 * full-resolution output at stride 1 is that much less padding of the input).
 *
 * The paddings and crops are constants, or TensorFlow's required_space_to_batch_paddings: per
 * axis a Pack of [constant start, extra end] for the paddings and [constant start, extra end]
 * for the crops, where the two extras are the same expression of the input size (equal
 * StridedSlices of one tensor): their difference is then known without the size.
 */
import type { ConstTensor } from '../../../graph/ir';
import { attrInts, attrString, inlineTensor, splitRef, type TfNode } from './attrs';

const CONVS = new Set(['Conv2D', 'DepthwiseConv2dNative']);

/** The graph with each SpaceToBatchND/convolution/BatchToSpaceND chain as one dilated convolution. */
export function fuseAtrousConvs(nodes: readonly TfNode[], tensors: ReadonlyMap<string, ConstTensor>): TfNode[] {
  if (!nodes.some((n) => n.op === 'BatchToSpaceND')) return [...nodes];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const readers = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) readers.set(splitRef(i)[0], (readers.get(splitRef(i)[0]) ?? 0) + 1);
  const constOf = (ref: string | undefined): number[] | undefined => {
    const n = ref === undefined ? undefined : byName.get(splitRef(ref)[0]);
    if (n === undefined || n.op !== 'Const') return undefined;
    const c = tensors.get(n.name) ?? inlineTensor(n);
    return c === null || c === undefined ? undefined : Array.from(c.data);
  };
  const replaced = new Map<string, TfNode>();
  const removed = new Set<string>();
  for (const b2s of nodes) {
    if (b2s.op !== 'BatchToSpaceND') continue;
    const conv = byName.get(splitRef(b2s.inputs[0] ?? '')[0]);
    if (conv === undefined || !CONVS.has(conv.op) || readers.get(conv.name) !== 1) continue;
    const s2b = byName.get(splitRef(conv.inputs[0] ?? '')[0]);
    if (s2b === undefined || s2b.op !== 'SpaceToBatchND' || readers.get(s2b.name) !== 1) continue;
    let plain: boolean;
    try {
      plain =
        attrString(conv, 'padding', 'VALID') === 'VALID' &&
        attrInts(conv, 'strides', [1, 1, 1, 1]).every((s) => s === 1) &&
        attrInts(conv, 'dilations', [1, 1, 1, 1]).every((d) => d === 1) &&
        attrString(conv, 'data_format', 'NHWC') === 'NHWC';
    } catch {
      continue;
    }
    const block = constOf(s2b.inputs[1]);
    const block2 = constOf(b2s.inputs[1]);
    const diff = padsLessCrops(s2b.inputs[2], b2s.inputs[2], byName, constOf);
    if (!plain || block === undefined || block2 === undefined || diff === undefined) continue;
    if (block.length !== 2 || block.some((v, i) => v !== block2[i])) continue;
    const explicit = [0, 0, ...diff, 0, 0];
    if (explicit.some((p) => p < 0)) continue;
    replaced.set(b2s.name, {
      name: b2s.name,
      op: conv.op,
      inputs: [s2b.inputs[0], conv.inputs[1]],
      attr: {
        ...conv.attr,
        padding: { s: Buffer.from('EXPLICIT').toString('base64') },
        explicit_paddings: { list: { i: explicit.map(String) } },
        dilations: { list: { i: ['1', String(block[0]), String(block[1]), '1'] } },
      },
    });
    removed.add(conv.name);
    removed.add(s2b.name);
  }
  return nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n);
}

/** paddings - crops, flattened [[top, bottom], [left, right]], when it is known (see above). */
function padsLessCrops(
  padsRef: string | undefined,
  cropsRef: string | undefined,
  byName: ReadonlyMap<string, TfNode>,
  constOf: (ref: string | undefined) => number[] | undefined,
): number[] | undefined {
  const pads = constOf(padsRef);
  const crops = constOf(cropsRef);
  if (pads !== undefined && crops !== undefined) return pads.length === 4 && crops.length === 4 ? pads.map((p, i) => p - crops[i]) : undefined;
  const node = (ref: string | undefined): TfNode | undefined => (ref === undefined ? undefined : byName.get(splitRef(ref)[0]));
  const rows = (ref: string | undefined): TfNode[] | undefined => {
    const n = node(ref);
    if (n === undefined || n.op !== 'Pack' || n.inputs.length !== 2) return undefined;
    const r = n.inputs.map(node);
    return r.every((x): x is TfNode => x !== undefined && x.op === 'Pack' && x.inputs.length === 2) ? r : undefined;
  };
  const p = rows(padsRef);
  const c = rows(cropsRef);
  if (p === undefined || c === undefined) return undefined;
  const out: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const start = constOf(p[axis].inputs[0]);
    const cropStart = constOf(c[axis].inputs[0]);
    if (start?.length !== 1 || cropStart?.length !== 1) return undefined;
    if (!sameSlice(node(p[axis].inputs[1]), node(c[axis].inputs[1]), constOf)) return undefined;
    out.push(start[0] - cropStart[0], 0);
  }
  return out;
}

/** Two StridedSlices of the same tensor with the same constant arguments and attributes. */
function sameSlice(a: TfNode | undefined, b: TfNode | undefined, constOf: (ref: string | undefined) => number[] | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === b) return true;
  if (a.op !== 'StridedSlice' || b.op !== 'StridedSlice' || a.inputs[0] !== b.inputs[0] || a.inputs.length !== b.inputs.length) return false;
  for (let i = 1; i < a.inputs.length; i++) {
    const x = constOf(a.inputs[i]);
    const y = constOf(b.inputs[i]);
    if (x === undefined || y === undefined || x.length !== y.length || x.some((v, k) => v !== y[k])) return false;
  }
  const attrs = (n: TfNode): string =>
    JSON.stringify(
      Object.keys(n.attr)
        .sort()
        .map((k) => [k, n.attr[k]]),
    );
  return attrs(a) === attrs(b);
}
