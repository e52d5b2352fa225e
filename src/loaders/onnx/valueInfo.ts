/** Graph inputs and outputs: ONNX ValueInfoProto -> ValueInfo (tensors only). */
import type { onnx } from 'onnx-proto';
import type { Dim, ValueInfo } from '../../graph/ir';
import { ModelLoadError } from '../errors';
import { dtypeOfElementType, elementTypeName, int64Value } from './tensor';

/**
 * Dimensions: a number for dim_value, the name for dim_param, '?' when the file says
 * nothing. A value without any type information is taken as a float32 tensor of unknown shape.
 */
export function graphValueInfo(v: onnx.IValueInfoProto, role: string, file: string): ValueInfo {
  const name = v.name ?? '';
  if (name === '') throw new ModelLoadError(file, `a ${role} has no name`);
  const type = v.type;
  if (!type) return { name, dtype: 'float32', shape: null };
  const tensor = type.tensorType;
  if (!tensor) {
    const kind = type.sequenceType
      ? 'a sequence'
      : type.optionalType
        ? 'an optional'
        : type.mapType
          ? 'a map'
          : type.sparseTensorType
            ? 'a sparse tensor'
            : 'not a tensor';
    throw new ModelLoadError(file, `${role} "${name}" is ${kind}, which is not supported (only dense tensors are)`);
  }
  const code = tensor.elemType ?? 0;
  const dtype = dtypeOfElementType(code);
  if (dtype === undefined) throw new ModelLoadError(file, `${role} "${name}" has element type ${elementTypeName(code)}, which is not supported`);
  const shape = tensor.shape ? (tensor.shape.dim ?? []).map(dimension) : null;
  if (shape) checkShape(shape, `${role} "${name}"`, file);
  return { name, dtype, shape };
}

/** The largest element count a typed array (and so a tensor) can hold. */
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Negative or astronomically large declared sizes would otherwise surface later as a
 * RangeError from a typed-array allocation, far from the file that caused them.
 */
function checkShape(shape: readonly Dim[], what: string, file: string): void {
  let elements = 1;
  for (const d of shape) {
    if (typeof d !== 'number') continue;
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelLoadError(file, `${what} has an invalid dimension ${d} in shape [${shape.join(', ')}]`);
    elements *= d;
  }
  if (elements > MAX_ELEMENTS)
    throw new ModelLoadError(file, `${what} declares ${elements} elements (shape [${shape.join(', ')}]), more than a tensor can hold`);
}

function dimension(d: onnx.TensorShapeProto.IDimension): Dim {
  if (d.dimParam) return d.dimParam;
  if (d.dimValue !== undefined && d.dimValue !== null && Object.prototype.hasOwnProperty.call(d, 'dimValue')) return int64Value(d.dimValue);
  return '?';
}
