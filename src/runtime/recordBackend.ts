/**
 * A TensorFlow.js backend that computes nothing: each kernel appends ONNX nodes to a graph and
 * returns a tensor of the right shape and dtype whose value is a name in that graph
 * (recordKernels.ts registers the kernels). Running a reverse pass of the executor with this
 * backend active turns the hand-written VJPs, unchanged, into one ONNX graph that ONNX Runtime
 * runs as a whole (ortGraph.ts): the ops are written once, against tf.*, and either run
 * eagerly or are recorded.
 *
 * Values that exist outside the recording (tensors of the compute backend: weights, retained
 * activations, the cotangent seeds, values cached from them) become graph inputs (when the
 * caller binds them: fed at each run) or initializers (their data read once). Values written
 * during the recording (tf.tensor, tf.scalar, shape tensors) are initializers too, and stay
 * readable, so a kernel's ctx.readNumbers of them works; reading a value the graph computes
 * throws a RecordingError, and the caller runs that pass eagerly instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataOnlyBackend } from '../ops/dataOnlyBackend';
import { knownHostTransposes } from '../ops/hostValues';
import { deferredInitializer, type ElemType, type Initializer, type NodeSpec, type AttributeValue, type ValueSpec } from './ortModel';

export const RECORD_BACKEND = 'onnx-record';

/** The recording cannot express something (a kernel it lacks, a computed value read back). */
export class RecordingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingError';
  }
}

type DataId = object;
export type Values = Float32Array | Int32Array | Uint8Array;

interface Entry {
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
  /** The value's name in the graph once it has one. */
  name?: string;
  /** Known data (written by tf.tensor and the like). */
  readonly values?: Values;
  /** A constant fill (Fill, ZerosLike): known without a buffer of that size. */
  readonly fill?: number;
}

export function elemType(dtype: tf.DataType): ElemType {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new RecordingError(`dtype ${dtype} cannot be recorded`);
}

export function typedValues(values: tf.backend_util.BackendValues, dtype: tf.DataType): Values {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  if (dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  if (dtype === 'bool') return values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>);
  throw new RecordingError(`dtype ${dtype} cannot be recorded`);
}

/**
 * A graph input: a tensor the caller bound (fed at each run from the tensor its key names), or
 * a large constant fed from `data` (weights as inputs keep the model small, and so its
 * session quick to build).
 */
export interface BoundInput {
  readonly name: string;
  readonly key?: string;
  readonly data?: Values;
}

/**
 * Constants of at most this many elements are initializers (ORT folds what they feed); larger
 * ones (weights) are inputs unless the recorder is told otherwise (initializerMax: the
 * pass runner makes every weight an initializer, see ortGraph.ts).
 */
const INITIALIZER_MAX_ELEMENTS = 4096;

/** One graph being recorded: its nodes, initializers and inputs. */
export class Recorder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: BoundInput[] = [];
  readonly inputSpecs: ValueSpec[] = [];
  /** Names of values from outside the recording, by data id. */
  private readonly externals = new Map<DataId, string>();
  /** Shapes of the named values that kernels returned, inputs and initializers (recordLayout.ts reads them). */
  private readonly shapes = new Map<string, readonly number[]>();
  private counter = 0;

  /** `bindings`: tensors to feed as graph inputs (by data id), each with a key to find it again at the next run. */
  constructor(
    readonly backend: RecordingBackend,
    private readonly bindings: ReadonlyMap<DataId, string>,
    /** The data of a tensor of the compute backend (cached by the caller across recordings). */
    private readonly externalData: (t: tf.TensorInfo) => Values,
    /** Constants up to this many elements become initializers, larger ones inputs (INITIALIZER_MAX_ELEMENTS). */
    private readonly initializerMax = INITIALIZER_MAX_ELEMENTS,
  ) {}

  /** The shape of a value a kernel returned, or of an input or initializer; undefined for a node's inner values. */
  shapeOf(name: string): readonly number[] | undefined {
    return this.shapes.get(name);
  }

  fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  /** The graph name of a kernel's input tensor, making it an input or initializer on first use. */
  value(t: tf.TensorInfo): string {
    const own = this.backend.entry(t.dataId);
    if (own !== undefined) {
      if (own.name !== undefined) return own.name;
      if (own.values !== undefined) own.name = this.initializer(own.values, own.shape, own.dtype);
      else if (own.fill !== undefined) own.name = this.filled(own.fill, own.shape, own.dtype);
      else throw new RecordingError('a tensor of the recording has no value');
      return own.name;
    }
    const known = this.externals.get(t.dataId);
    if (known !== undefined) return known;
    const key = this.bindings.get(t.dataId);
    let name: string;
    if (key !== undefined || tf.util.sizeFromShape(t.shape) > this.initializerMax) {
      name = this.fresh('in');
      // A tensor of the compute backend that is not bound (a weight, a value cached from one) is read once.
      this.inputs.push(key !== undefined ? { name, key } : { name, data: this.externalData(t) });
      this.inputSpecs.push({ name, shape: [...t.shape], dtype: elemType(t.dtype) });
      this.shapes.set(name, t.shape);
    } else {
      const transposes = knownHostTransposes(t);
      // A model's weight with a known transpose (kept as long as the model) is read when the graph
      // is folded or encoded, not here, and foldConstants takes the transpose instead, so the
      // weight's own values may never be made. Any other value is read now, while it exists.
      name = this.initializer(transposes.size === 0 ? this.externalData(t) : { read: () => this.externalData(t), transposes }, t.shape, t.dtype);
    }
    this.externals.set(t.dataId, name);
    return name;
  }

  /** An initializer of `values`, or of values read later (`read`, with their known transposes: deferredInitializer). */
  initializer(
    values: Values | BigInt64Array | { readonly read: () => Values; readonly transposes: ReadonlyMap<string, Float32Array> },
    shape: readonly number[],
    dtype: tf.DataType | 'int64',
  ): string {
    const name = this.fresh('c');
    this.shapes.set(name, shape);
    const type = dtype === 'int64' ? 'int64' : elemType(dtype);
    this.initializers.push(
      'read' in values ? deferredInitializer(name, shape, values.read, values.transposes, type) : { name, shape: [...shape], data: values, dtype: type },
    );
    return name;
  }

  /** An int64 vector initializer (shapes, axes, pads: ONNX takes them as int64 inputs). */
  int64(values: readonly number[]): string {
    return this.initializer(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], 'int64');
  }

  /** A scalar initializer. */
  scalar(value: number, dtype: tf.DataType): string {
    const data = dtype === 'float32' ? Float32Array.of(value) : dtype === 'int32' ? Int32Array.of(value) : Uint8Array.of(value);
    return this.initializer(data, [], dtype);
  }

  private filled(value: number, shape: readonly number[], dtype: tf.DataType): string {
    return this.node('Expand', [this.scalar(value, dtype), this.int64(shape)]);
  }

  /** Appends a node; returns its first output's name. */
  node(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, AttributeValue>>): string {
    return this.nodeN(op, inputs, 1, attrs)[0];
  }

  nodeN(op: string, inputs: readonly string[], outputs: number, attrs?: Readonly<Record<string, AttributeValue>>): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh('v'));
    this.nodes.push({ op, inputs, outputs: names, attrs });
    return names;
  }

  /** A kernel's output: a tensor of the recording backend named `name` in the graph. */
  output(name: string, shape: readonly number[], dtype: tf.DataType): tf.TensorInfo {
    this.shapes.set(name, shape);
    return { dataId: this.backend.named(name, shape, dtype), shape: [...shape], dtype };
  }
}

export class RecordingBackend extends DataOnlyBackend {
  protected readonly memoryNote = 'the recording backend holds no data of its own';
  private readonly data = new WeakMap<DataId, Entry>();
  private count = 0;
  /** The graph being recorded; kernels refuse to run without one. */
  recorder: Recorder | undefined;

  entry(dataId: DataId): Entry | undefined {
    return this.data.get(dataId);
  }

  active(): Recorder {
    if (this.recorder === undefined) throw new RecordingError('no recording in progress');
    return this.recorder;
  }

  named(name: string, shape: readonly number[], dtype: tf.DataType): DataId {
    const id = {};
    this.set(id, { shape, dtype, name });
    return id;
  }

  /** A tensor known to hold `value` everywhere (recorded as an Expand only if used). */
  filled(value: number, shape: readonly number[], dtype: tf.DataType): tf.TensorInfo {
    const id = {};
    this.set(id, { shape, dtype, fill: value });
    return { dataId: id, shape: [...shape], dtype };
  }

  private set(id: DataId, e: Entry): void {
    if (!this.data.has(id)) this.count++;
    this.data.set(id, e);
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): DataId {
    const id = {};
    const typed = typedValues(values, dtype);
    // tf.zeros and tf.ones write whole arrays: a large uniform one is recorded as a fill.
    const uniform = typed.length > INITIALIZER_MAX_ELEMENTS && typed.every((v) => v === typed[0]);
    this.set(id, uniform ? { shape, dtype, fill: typed[0] } : { shape, dtype, values: typed });
    return id;
  }

  override move(dataId: DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): void {
    this.set(dataId, { shape, dtype, values: typedValues(values, dtype) });
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const e = this.data.get(dataId);
    if (e?.values !== undefined) return e.values;
    if (e?.fill !== undefined) {
      const size = e.shape.reduce((a, b) => a * b, 1);
      return typedValues(new Float32Array(size).fill(e.fill), e.dtype);
    }
    throw new RecordingError('a value computed by the recorded graph was read during the recording');
  }

  override disposeData(dataId: DataId): boolean {
    if (this.data.delete(dataId)) this.count--;
    return true;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? 1 : 0;
  }

  override numDataIds(): number {
    return this.count;
  }

  override dispose(): void {}
}
