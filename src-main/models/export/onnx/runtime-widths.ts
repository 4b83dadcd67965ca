/**
 * Export-time rewrites of hard-pruned graphs for ONNX Runtime's CPU convolutions, all exact:
 *
 * 1. Constant inputs as a ones channel (`constInputsAsChannel`). A hard-pruned conv's removed
 *    input channels were constant; compaction folded them into a constant-input kernel applied
 *    to a ones image (prune/compact.ts). Exported as a precomputed map, that is one more Add
 *    pass per block, and it sits between the conv and the residual Add, so ONNX Runtime can no
 *    longer fuse Conv + Add + Relu into one NCHWc conv. Instead the producer conv gets ONE more
 *    filter whose BatchNorm outputs exactly 1 (gamma 0, beta 1, so relu(1) = 1), and every
 *    reader takes it as one more input channel with the constant-input kernel as its weights.
 *    Zero padding at the borders then does what the map did there.
 * 2. Widths padded to a multiple (`padWidths`). ONNX Runtime's NCHWc convolutions (the fast path
 *    on x86: a block of 8 channels on AVX2, 16 on AVX-512) take only inputs whose channel count
 *    is a multiple of the block; a conv reading 12 or 23 channels falls back to the NCHW path
 *    with reorders around it, which cost more than the removed channels saved (BENCHMARKS.md,
 *    "Model inference latency"). Pruned convs whose outputs feed only convs get zero filters
 *    (BatchNorm gamma 0, beta 0: the channel is 0) up to the multiple; their readers get zero
 *    weights for them. The ones channel of (1) takes one of those slots for free.
 *
 * Only chains conv -> batchNorm [-> relu | patchShuffle]* -> convs qualify (the same ones
 * compaction narrows); anything else is left as it is.
 */
import { consumersOf, type GraphNode, type GraphSpec, type NodeOf } from '../../../nn/graph.ts';
import { weightOf, type WeightValues } from '../weights.ts';

/** A conv whose output reaches only convs through one BatchNorm and per-channel ops. */
interface NarrowChain {
  conv: NodeOf<'conv2d'>;
  bn: NodeOf<'batchNorm'>;
  readers: NodeOf<'conv2d'>[];
}

function narrowChains(spec: GraphSpec): NarrowChain[] {
  const outputs = new Set(Object.values(spec.outputs).filter((v): v is string => typeof v === 'string'));
  const chains: NarrowChain[] = [];
  for (const conv of spec.nodes) {
    if (conv.op !== 'conv2d' || outputs.has(conv.name)) continue;
    const after = consumersOf(spec, conv.name);
    const bn = after[0];
    if (after.length !== 1 || bn?.op !== 'batchNorm' || outputs.has(bn.name)) continue;
    let end: GraphNode = bn;
    for (;;) {
      const next = consumersOf(spec, end.name);
      const only = next[0];
      if (next.length !== 1 || !only || (only.op !== 'relu' && only.op !== 'patchShuffle') || outputs.has(only.name)) break;
      end = only;
    }
    const readers = consumersOf(spec, end.name);
    if (outputs.has(end.name) || readers.length === 0 || !readers.every((r) => r.op === 'conv2d')) continue;
    chains.push({ conv, bn, readers: readers as NodeOf<'conv2d'>[] });
  }
  return chains;
}

/** [..., from] -> [..., from + extra] on the last axis, the new columns filled by `fill(row)` (zeros by default). */
function growLastAxis(values: Float32Array, from: number, extra: number, fill?: (row: number, col: number) => number): Float32Array {
  const rows = values.length / from;
  const to = from + extra;
  const out = new Float32Array(rows * to);
  for (let r = 0; r < rows; r++) {
    out.set(values.subarray(r * from, (r + 1) * from), r * to);
    if (fill) for (let j = 0; j < extra; j++) out[r * to + from + j] = fill(r, j);
  }
  return out;
}

/** HWIO [kh,kw,ci,co] -> [kh,kw,ci+extra,co]: input channels appended, their weights from `rows(kernelPos)` ([extra*co]) or zero. */
function growInputChannels(kernel: Float32Array, n: NodeOf<'conv2d'>, extra: number, rows?: (pos: number) => Float32Array): Float32Array {
  const [kh, kw] = n.kernelSize;
  const ci = n.inChannels;
  const co = n.filters;
  const out = new Float32Array(kh * kw * (ci + extra) * co);
  for (let pos = 0; pos < kh * kw; pos++) {
    out.set(kernel.subarray(pos * ci * co, (pos + 1) * ci * co), pos * (ci + extra) * co);
    if (rows) out.set(rows(pos), (pos * (ci + extra) + ci) * co);
  }
  return out;
}

/**
 * Adds `extra` filters to the chain's conv (zero kernel and bias) and channels to its BatchNorm
 * (gamma 0, mean 0, variance 1, beta from `beta(j)`: the channel's constant output), and `extra`
 * input channels to every reader (weights from `readerRows(reader)` or zero).
 */
function growChain(
  spec: GraphSpec,
  weights: Map<string, Float32Array>,
  nodes: Map<string, GraphNode>,
  chain: NarrowChain,
  extra: number,
  beta: (j: number) => number,
  readerRows?: (reader: NodeOf<'conv2d'>) => ((pos: number) => Float32Array) | undefined,
): void {
  const conv = nodes.get(chain.conv.name) as NodeOf<'conv2d'>;
  const bn = nodes.get(chain.bn.name) as NodeOf<'batchNorm'>;
  const f = conv.filters;
  const key = (name: string): Float32Array => weights.get(name) ?? weightOf(spec, weights, name);
  weights.set(`${conv.name}/kernel`, growLastAxis(key(`${conv.name}/kernel`), f, extra));
  if (conv.bias) weights.set(`${conv.name}/bias`, growLastAxis(key(`${conv.name}/bias`), f, extra));
  if (conv.constInput) weights.set(`${conv.name}/constKernel`, growLastAxis(key(`${conv.name}/constKernel`), f, extra));
  weights.set(`${bn.name}/gamma`, growLastAxis(key(`${bn.name}/gamma`), f, extra));
  weights.set(`${bn.name}/beta`, growLastAxis(key(`${bn.name}/beta`), f, extra, (_, j) => beta(j)));
  weights.set(`${bn.name}/movingMean`, growLastAxis(key(`${bn.name}/movingMean`), f, extra));
  weights.set(`${bn.name}/movingVariance`, growLastAxis(key(`${bn.name}/movingVariance`), f, extra, () => 1));
  nodes.set(conv.name, { ...conv, filters: f + extra });
  nodes.set(bn.name, { ...bn, channels: f + extra });
  for (const r of chain.readers) {
    const reader = nodes.get(r.name) as NodeOf<'conv2d'>;
    const rows = readerRows?.(reader);
    weights.set(`${reader.name}/kernel`, growInputChannels(key(`${reader.name}/kernel`), reader, extra, rows));
    nodes.set(reader.name, { ...reader, inChannels: reader.inChannels + extra });
  }
}

export interface RuntimeWidthOptions {
  /** Pad widths of convs feeding only convs to a multiple of this (1: no padding). */
  channelMultiple: number;
  /** Rewrite only the chains whose conv this accepts (default: all). */
  only?: (conv: NodeOf<'conv2d'>) => boolean;
}

/**
 * Both rewrites of the file comment. Returns the input unchanged when nothing qualifies.
 * Readers whose constant inputs become a channel lose `constInput`.
 */
export function runtimeWidths(spec: GraphSpec, weights: WeightValues, options: RuntimeWidthOptions): { spec: GraphSpec; weights: WeightValues } {
  const chains = narrowChains(spec).filter((c) => options.only?.(c.conv) ?? true);
  if (chains.length === 0) return { spec, weights };
  const nodes = new Map(spec.nodes.map((n) => [n.name, n]));
  const out = new Map(weights);
  const multiple = Math.max(1, Math.floor(options.channelMultiple));
  let changed = false;
  for (const chain of chains) {
    // A ones channel only when every reader has constant inputs (compaction gives all readers of one chain the same removed set).
    const ones = chain.readers.every((r) => r.constInput);
    const width = chain.conv.filters + (ones ? 1 : 0);
    const extra = Math.ceil(width / multiple) * multiple - chain.conv.filters;
    if (extra === 0) continue;
    changed = true;
    growChain(spec, out, nodes, chain, extra, (j) => (ones && j === 0 ? 1 : 0), (reader) => {
      if (!ones) return undefined;
      // constKernel [kh,kw,1,co]: the weights of the ones channel (first appended); the rest stay zero.
      const constKernel = out.get(`${reader.name}/constKernel`) ?? weightOf(spec, weights, `${reader.name}/constKernel`);
      const co = reader.filters;
      return (pos) => constKernel.subarray(pos * co, (pos + 1) * co);
    });
    if (ones) {
      for (const r of chain.readers) {
        const reader = nodes.get(r.name) as NodeOf<'conv2d'>;
        const { constInput: _dropped, ...rest } = reader;
        nodes.set(reader.name, rest);
        out.delete(`${reader.name}/constKernel`);
      }
    }
  }
  if (!changed) return { spec, weights };
  return { spec: { ...spec, nodes: spec.nodes.map((n) => nodes.get(n.name)!) }, weights: out };
}
