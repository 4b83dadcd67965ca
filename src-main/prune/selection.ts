/**
 * Which convs SFP prunes, and at what rate: chosen by conv ROLE (never by
 * parameter index). Defaults follow the SFP reference: every conv of a CIFAR
 * ResNet; every conv but the 1x1 downsample shortcuts of an ImageNet ResNet.
 * The classifier is never pruned. Experts may pass a per-layer rate table.
 */
import { consumersOf, convNodes, type ConvRole, type GraphSpec } from '../nn/graph.ts';

export interface LayerSelection {
  /** Roles pruned at the global rate; default by family (see above). */
  roles?: ConvRole[];
  /** Per-layer rates by conv node name; overrides roles and the global rate for those layers (0 excludes one). */
  layerRates?: Record<string, number>;
}

export function defaultRoles(spec: GraphSpec): ConvRole[] {
  const imagenet = spec.nodes.some((n) => n.op === 'maxPool');
  return imagenet ? ['stem', 'block-conv', 'block-last'] : ['stem', 'block-conv', 'block-last', 'downsample'];
}

/** conv name -> rate for every conv that will be masked, for the global rate `rate`. */
export function selectLayers(spec: GraphSpec, rate: number, sel: LayerSelection = {}): Map<string, number> {
  const roles = new Set(sel.roles ?? defaultRoles(spec));
  const convs = convNodes(spec);
  const names = new Set(convs.map((c) => c.name));
  for (const [name, r] of Object.entries(sel.layerRates ?? {})) {
    if (!names.has(name)) throw new Error(`layerRates names "${name}", which is not a conv of ${spec.arch}.`);
    if (!(r >= 0 && r < 1)) throw new Error(`layerRates.${name} must be in [0, 1), got ${r}.`);
  }
  const out = new Map<string, number>();
  for (const c of convs) {
    const r = sel.layerRates?.[c.name] ?? (roles.has(c.role) ? rate : 0);
    if (r > 0) out.set(c.name, r);
  }
  return out;
}

/** The BatchNorm node right after a conv (its only consumer), or null: what bn-scale ranks by and zeroBn zeroes. */
export function bnAfter(spec: GraphSpec, conv: string): string | null {
  const after = consumersOf(spec, conv);
  return after.length === 1 && after[0]!.op === 'batchNorm' ? after[0]!.name : null;
}
