import { describe, expect, it } from 'vitest';
import { configDiff, flattenConfig } from '../../src-main/common/config-diff.ts';

describe('config diff', () => {
  it('flattens objects to dotted paths, keeping arrays and empty objects whole', () => {
    expect([...flattenConfig({ a: { b: 1, c: [1, 2], d: {} }, e: null })]).toEqual([
      ['a.b', 1],
      ['a.c', [1, 2]],
      ['a.d', {}],
      ['e', null],
    ]);
  });

  it('lists only the differing fields with every value, a field one config lacks included', () => {
    const a = { epochs: 10, optimizer: { lr: 0.1, momentum: 0.9 }, schedule: { kind: 'step', milestones: [5, 8] }, prune: { method: 'sfp', rate: 0.3 } };
    const b = { epochs: 10, optimizer: { lr: 0.05, momentum: 0.9 }, schedule: { kind: 'step', milestones: [5, 8] } };
    const c = { epochs: 12, optimizer: { lr: 0.1, momentum: 0.9 }, schedule: { kind: 'step', milestones: [6, 9] }, prune: { method: 'sfp', rate: 0.3 } };
    expect(configDiff([a, b])).toEqual([
      { path: 'optimizer.lr', values: [0.1, 0.05] },
      { path: 'prune.method', values: ['sfp', undefined] },
      { path: 'prune.rate', values: [0.3, undefined] },
    ]);
    expect(configDiff([a, c]).map((d) => d.path)).toEqual(['epochs', 'schedule.milestones']);
    expect(configDiff([a, b, c]).map((d) => d.path)).toEqual(['epochs', 'optimizer.lr', 'prune.method', 'prune.rate', 'schedule.milestones']);
    expect(configDiff([a, structuredClone(a)])).toEqual([]);
  });
});
