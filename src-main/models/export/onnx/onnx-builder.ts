import { ModelProto, OnnxAttributeType, OnnxDataType } from './onnx-schema.ts';

/** One node attribute, tagged with its ONNX type (a bare number would be ambiguous: int or float). */
export type OnnxAttr = { i: number } | { f: number } | { ints: readonly number[] } | { floats: readonly number[] } | { s: string };

/** A dimension: a fixed size, or a symbolic name such as 'batch'. */
export type OnnxDim = number | string;

export interface OnnxModelOptions {
  /** Default-domain opset; 13 gives Slice/Pad/Squeeze their input-based forms. */
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

interface PendingNode {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: Record<string, unknown>[];
}

/** IR version 7 is the one that introduced opset 13; runtimes accept any opset up to their own. */
const IR_VERSION_FOR_OPSET_13 = 7;

function encodeAttr(name: string, value: OnnxAttr): Record<string, unknown> {
  if ('i' in value) return { name, type: OnnxAttributeType.INT, i: value.i };
  if ('f' in value) return { name, type: OnnxAttributeType.FLOAT, f: value.f };
  if ('ints' in value) return { name, type: OnnxAttributeType.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: OnnxAttributeType.FLOATS, floats: [...value.floats] };
  return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value.s) };
}

function valueInfo(name: string, shape: readonly OnnxDim[]): Record<string, unknown> {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** float32 values as little-endian bytes, as ONNX's raw_data requires on every platform. */
function float32LittleEndian(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

/**
 * Builds one ONNX graph node by node and serialises it as a ModelProto.
 * Tensor names are the graph's edges; `fresh(prefix)` hands out unused ones.
 */
export class OnnxGraphBuilder {
  private readonly nodes: PendingNode[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private readonly inputs: Record<string, unknown>[] = [];
  private readonly outputs: Record<string, unknown>[] = [];
  private readonly used = new Set<string>();
  private readonly graphName: string;

  constructor(graphName: string) {
    this.graphName = graphName;
  }

  /** A tensor name not used yet, derived from `prefix`. */
  fresh(prefix: string): string {
    const base = prefix.replace(/[^A-Za-z0-9_./:-]/g, '_') || 't';
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  input(name: string, shape: readonly OnnxDim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  output(name: string, shape: readonly OnnxDim[]): void {
    this.outputs.push(valueInfo(name, shape));
  }

  /** A float32 constant (weights), stored as raw little-endian bytes. */
  floatInitializer(prefix: string, values: Float32Array, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== values.length) throw new Error(`Initializer ${prefix}: ${values.length} values for dims [${dims.join(',')}]`);
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [...dims], dataType: OnnxDataType.FLOAT, rawData: float32LittleEndian(values) });
    return name;
  }

  /** An int64 constant (shapes, slice bounds, pads, indices). */
  int64Initializer(prefix: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [...dims], dataType: OnnxDataType.INT64, int64Data: [...values] });
    return name;
  }

  /**
   * Adds a node and returns the name of its output: `outputName` when it is
   * still free (graph outputs rely on that), else a fresh name derived from it.
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, OnnxAttr> = {}, outputName?: string): string {
    const output = this.fresh(outputName ?? `${opType.toLowerCase()}_out`);
    this.nodes.push({
      opType,
      name: this.fresh(`${opType}_${this.nodes.length}`),
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
    });
    return output;
  }

  /** The serialised ModelProto. */
  encode(options: OnnxModelOptions = {}): Uint8Array {
    const opset = options.opset ?? 13;
    const message = ModelProto.fromObject({
      irVersion: IR_VERSION_FOR_OPSET_13,
      opsetImport: [{ domain: '', version: opset }],
      producerName: options.producerName ?? 'workbench',
      producerVersion: options.producerVersion ?? '0',
      docString: options.docString ?? '',
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return ModelProto.encode(message).finish();
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX tensor name ${name} is used twice`);
    this.used.add(name);
    return name;
  }
}
