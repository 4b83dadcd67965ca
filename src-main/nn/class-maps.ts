/**
 * Class maps of a fully convolutional classifier: when the logits are the
 * global average of a conv with one output map per class (CAM's head), that
 * conv's output is the class maps. Localization models name it in
 * `spec.outputs.classMaps`; models saved before specs named it still have the
 * structure, so it is found from the graph instead.
 */
import type { GraphSpec } from './graph.ts';

/** The node whose output is the class maps [B,h,w,K]: the named output, else the conv the logits average; null when there is none. */
export function classMapsNode(spec: GraphSpec): string | null {
  if (spec.outputs.classMaps) return spec.outputs.classMaps;
  const pool = spec.nodes.find((n) => n.name === spec.outputs.logits);
  if (!pool || pool.op !== 'globalAvgPool') return null;
  const conv = spec.nodes.find((n) => n.name === pool.input);
  return conv && conv.op === 'conv2d' && conv.filters === spec.numClasses ? conv.name : null;
}

/** The spec with its class maps named as an output where the graph has them (unchanged otherwise). */
export function withClassMapsOutput(spec: GraphSpec): GraphSpec {
  const maps = classMapsNode(spec);
  return maps && !spec.outputs.classMaps ? { ...spec, outputs: { ...spec.outputs, classMaps: maps } } : spec;
}
