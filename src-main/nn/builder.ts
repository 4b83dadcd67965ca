/**
 * A small helper to write graph specs in code: each method appends one node
 * and returns its name, tracking channel counts so architectures stay short.
 */
import { GRAPH_FORMAT, GRAPH_VERSION, type ConvRole, type GraphNode, type GraphSpec, type Padding } from './graph.ts';

export interface Tensorish {
  name: string;
  channels: number;
}

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  private readonly inputChannels: number;

  constructor(inputChannels: number) {
    this.inputChannels = inputChannels;
    this.nodes.push({ op: 'input', name: 'input' });
  }

  input(): Tensorish {
    return { name: 'input', channels: this.inputChannels };
  }

  conv(
    name: string,
    x: Tensorish,
    filters: number,
    o: { kernel: number; stride?: number; padding?: Padding; role: ConvRole; bias?: boolean },
  ): Tensorish {
    this.nodes.push({
      op: 'conv2d',
      name,
      input: x.name,
      kernelSize: [o.kernel, o.kernel],
      inChannels: x.channels,
      filters,
      strides: [o.stride ?? 1, o.stride ?? 1],
      padding: o.padding ?? 'same',
      dilation: [1, 1],
      bias: o.bias ?? false,
      role: o.role,
    });
    return { name, channels: filters };
  }

  batchNorm(name: string, x: Tensorish, o: { frozen?: boolean } = {}): Tensorish {
    const node: GraphNode = { op: 'batchNorm', name, input: x.name, channels: x.channels, epsilon: 1e-5, momentum: 0.1 };
    if (o.frozen) node.frozen = true;
    this.nodes.push(node);
    return { name, channels: x.channels };
  }

  relu(name: string, x: Tensorish): Tensorish {
    this.nodes.push({ op: 'relu', name, input: x.name });
    return { name, channels: x.channels };
  }

  add(name: string, a: Tensorish, b: Tensorish): Tensorish {
    if (a.channels !== b.channels) throw new Error(`add "${name}": ${a.channels} vs ${b.channels} channels.`);
    this.nodes.push({ op: 'add', name, inputs: [a.name, b.name] });
    return { name, channels: a.channels };
  }

  shortcutA(name: string, x: Tensorish, stride: number, outChannels: number): Tensorish {
    const extra = outChannels - x.channels;
    const padBefore = Math.floor(extra / 2);
    this.nodes.push({ op: 'shortcutA', name, input: x.name, stride, inChannels: x.channels, padBefore, padAfter: extra - padBefore });
    return { name, channels: outChannels };
  }

  maxPool(name: string, x: Tensorish, size: number, stride: number, padding: Padding): Tensorish {
    this.nodes.push({ op: 'maxPool', name, input: x.name, poolSize: [size, size], strides: [stride, stride], padding });
    return { name, channels: x.channels };
  }

  globalAvgPool(name: string, x: Tensorish): Tensorish {
    this.nodes.push({ op: 'globalAvgPool', name, input: x.name });
    return { name, channels: x.channels };
  }

  dense(name: string, x: Tensorish, units: number): Tensorish {
    this.nodes.push({ op: 'dense', name, input: x.name, inFeatures: x.channels, units, bias: true });
    return { name, channels: units };
  }

  patchShuffle(name: string, x: Tensorish, patch: number, probability: number): Tensorish {
    this.nodes.push({ op: 'patchShuffle', name, input: x.name, patch, probability });
    return { name, channels: x.channels };
  }

  build(o: { arch: string; options: Record<string, unknown>; height: number; width: number; numClasses: number; logits: Tensorish; features?: Tensorish }): GraphSpec {
    const outputs: GraphSpec['outputs'] = { logits: o.logits.name };
    if (o.features) outputs.features = o.features.name;
    return {
      format: GRAPH_FORMAT,
      version: GRAPH_VERSION,
      arch: o.arch,
      options: o.options,
      input: { height: o.height, width: o.width, channels: this.inputChannels },
      numClasses: o.numClasses,
      nodes: this.nodes,
      outputs,
    };
  }
}
