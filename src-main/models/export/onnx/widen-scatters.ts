/**
 * Export-time rewrite of hard-pruned graphs: every conv -> batchNorm -> channelScatter chain (a
 * pruned conv feeding the residual stream) becomes ONE conv with the stream's full channel count,
 * zero filters where channels were removed, and a batchNorm whose removed channels output the
 * scatter's constant (gamma 0, beta = the constant; the scatter's bias added to every beta).
 * Exact, since BN(0 * x) = beta.
 *
 * Why: ONNX Runtime fuses Conv + BatchNormalization but runs the scatter (a 1x1 Conv) as one
 * more pass over the full-width map; measured on ResNet-20 at 30% that pass made the compact
 * model slower than the unpruned one. The widened conv computes a few zero filters instead
 * (it keeps the smaller input channel count, which is most of the saving).
 */
import { consumersOf, type GraphNode, type GraphSpec, type NodeOf } from '../../../nn/graph.ts';
import { weightOf, type WeightValues } from '../weights.ts';

/** [..., k] -> [..., channels] with column k at indices[k], zeros elsewhere (last axis). */
function widenLastAxis(values: Float32Array, k: number, channels: number, indices: readonly number[]): Float32Array {
  const rows = values.length / k;
  const out = new Float32Array(rows * channels);
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) out[r * channels + indices[j]!] = values[r * k + j]!;
  return out;
}

/** Rewrites every qualifying chain, or only those whose conv `only` accepts (benchmarks compare them one stage at a time). */
export function widenScatters(
  spec: GraphSpec,
  weights: WeightValues,
  only: (conv: NodeOf<'conv2d'>, scatter: NodeOf<'channelScatter'>) => boolean = () => true,
): { spec: GraphSpec; weights: WeightValues } {
  const byName = new Map(spec.nodes.map((n) => [n.name, n]));
  const rewrites = new Map<string, GraphNode | null>(); // node -> replacement (null: removed)
  const rename = new Map<string, string>(); // scatter name -> the batchNorm that now has its output
  const out = new Map(weights);
  for (const s of spec.nodes) {
    if (s.op !== 'channelScatter') continue;
    const bn = byName.get(s.input);
    const conv = bn?.op === 'batchNorm' ? byName.get(bn.input) : undefined;
    if (bn?.op !== 'batchNorm' || conv?.op !== 'conv2d') continue;
    if (consumersOf(spec, bn.name).length !== 1 || consumersOf(spec, conv.name).length !== 1) continue;
    if (Object.values(spec.outputs).includes(bn.name) || !only(conv, s)) continue;
    const k = conv.filters;
    const c = s.channels;
    const wide = (key: string): void => void out.set(key, widenLastAxis(weightOf(spec, weights, key), k, c, s.indices));
    wide(`${conv.name}/kernel`);
    if (conv.bias) wide(`${conv.name}/bias`);
    if (conv.constInput) wide(`${conv.name}/constKernel`);
    const constant = weightOf(spec, weights, `${s.name}/bias`);
    const kept = new Set(s.indices);
    const leaf = (name: string, removed: (ch: number) => number): void => {
      const values = widenLastAxis(weightOf(spec, weights, `${bn.name}/${name}`), k, c, s.indices);
      for (let ch = 0; ch < c; ch++) if (!kept.has(ch)) values[ch] = removed(ch);
      out.set(`${bn.name}/${name}`, values);
    };
    leaf('gamma', () => 0);
    leaf('beta', () => 0);
    // The scatter adds its bias to every channel (hard pruning leaves it 0 on the kept ones).
    const beta = out.get(`${bn.name}/beta`)!;
    for (let ch = 0; ch < c; ch++) beta[ch] = beta[ch]! + constant[ch]!;
    leaf('movingMean', () => 0);
    leaf('movingVariance', () => 1);
    out.delete(`${s.name}/bias`);
    rewrites.set(conv.name, { ...conv, filters: c });
    rewrites.set(bn.name, { ...bn, channels: c } satisfies NodeOf<'batchNorm'>);
    rewrites.set(s.name, null);
    rename.set(s.name, bn.name);
  }
  if (rename.size === 0) return { spec, weights };
  const ref = (name: string): string => rename.get(name) ?? name;
  const nodes: GraphNode[] = [];
  for (const n of spec.nodes) {
    const r = rewrites.has(n.name) ? rewrites.get(n.name) : n;
    if (!r) continue;
    if (r.op === 'add') nodes.push({ ...r, inputs: [ref(r.inputs[0]), ref(r.inputs[1])] });
    else if ('input' in r && typeof r.input === 'string') nodes.push({ ...r, input: ref(r.input) } as GraphNode);
    else nodes.push(r);
  }
  const outputs = Object.fromEntries(Object.entries(spec.outputs).map(([key, v]) => [key, typeof v === 'string' ? ref(v) : v])) as GraphSpec['outputs'];
  return { spec: { ...spec, nodes, outputs }, weights: out };
}
