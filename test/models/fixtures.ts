import type { GraphSpec } from '../../src-main/nn/graph.ts';
import { GRAPH_FORMAT, GRAPH_VERSION } from '../../src-main/nn/graph.ts';

/**
 * A small hand-written graph that uses every node type and every padding form
 * the exporters map, including the two nodes only hard pruning produces
 * (a conv with constInput, a channelScatter) and an explicitly padded max-pool
 * after a ReLU, as in the ImageNet stem.
 */
export function everyNodeSpec(): GraphSpec {
  const conv = (name: string, input: string, inChannels: number, filters: number, extra: Partial<GraphSpec['nodes'][number]> = {}) =>
    ({
      op: 'conv2d',
      name,
      input,
      kernelSize: [3, 3],
      inChannels,
      filters,
      strides: [1, 1],
      padding: 'same',
      dilation: [1, 1],
      bias: false,
      role: 'block-conv',
      ...extra,
    }) as GraphSpec['nodes'][number];
  const bn = (name: string, input: string, channels: number) =>
    ({ op: 'batchNorm', name, input, channels, epsilon: 1e-3, momentum: 0.1 }) as GraphSpec['nodes'][number];
  return {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    arch: 'fixture',
    options: {},
    input: { height: 9, width: 10, channels: 3 },
    numClasses: 5,
    nodes: [
      { op: 'input', name: 'input' },
      { op: 'patchShuffle', name: 'shuffle', input: 'input', patch: 2, probability: 0.5 },
      conv('stem/conv', 'shuffle', 3, 4, { role: 'stem', padding: [[1, 2], [0, 1]], bias: true }),
      bn('stem/bn', 'stem/conv', 4),
      { op: 'relu', name: 'stem/relu', input: 'stem/bn' },
      { op: 'maxPool', name: 'stem/pool', input: 'stem/relu', poolSize: [3, 3], strides: [2, 2], padding: [[1, 1], [1, 1]] },
      conv('a/conv1', 'stem/pool', 4, 2, { constInput: true, padding: [[1, 1], [1, 1]] }),
      bn('a/bn1', 'a/conv1', 2),
      { op: 'relu', name: 'a/relu1', input: 'a/bn1' },
      conv('a/conv2', 'a/relu1', 2, 3, { role: 'block-last', constInput: true }),
      bn('a/bn2', 'a/conv2', 3),
      { op: 'channelScatter', name: 'a/scatter', input: 'a/bn2', channels: 4, indices: [3, 0, 2] },
      { op: 'add', name: 'a/add', inputs: ['a/scatter', 'stem/pool'] },
      { op: 'relu', name: 'a/relu2', input: 'a/add' },
      conv('b/conv1', 'a/relu2', 4, 8, { strides: [2, 2] }),
      bn('b/bn1', 'b/conv1', 8),
      { op: 'shortcutA', name: 'b/shortcut', input: 'a/relu2', stride: 2, inChannels: 4, padBefore: 2, padAfter: 2 },
      { op: 'add', name: 'b/add', inputs: ['b/bn1', 'b/shortcut'] },
      { op: 'maxPool', name: 'b/pool', input: 'b/add', poolSize: [2, 2], strides: [1, 1], padding: 'same' },
      { op: 'globalAvgPool', name: 'pool', input: 'b/pool' },
      { op: 'dense', name: 'fc', input: 'pool', inFeatures: 8, units: 5, bias: true },
    ],
    outputs: { logits: 'fc', features: 'pool' },
  };
}
