/** What a sensitivity scan prunes together: each conv alone, or each stage (the convs sharing the first part of their node name). No TF.js. */
import { convNodes, type GraphSpec } from '../nn/graph.ts';
import { defaultRoles } from '../prune/selection.ts';

export function sensitivityGroups(spec: GraphSpec, granularity: 'conv' | 'stage'): { name: string; convs: string[] }[] {
  const roles = new Set(defaultRoles(spec));
  const convs = convNodes(spec).filter((c) => roles.has(c.role));
  if (granularity === 'conv') return convs.map((c) => ({ name: c.name, convs: [c.name] }));
  const byStage = new Map<string, string[]>();
  for (const c of convs) {
    const stage = c.name.split('/')[0]!;
    byStage.set(stage, [...(byStage.get(stage) ?? []), c.name]);
  }
  return [...byStage].map(([name, list]) => ({ name, convs: list }));
}
