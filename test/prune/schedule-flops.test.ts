import { describe, it, expect } from 'vitest';
import { fitPsfp, psfpRate } from '../../src-main/prune/psfp-schedule.ts';
import { paperStyleReduction, countCost } from '../../src-main/prune/flops.ts';
import { selectLayers } from '../../src-main/prune/selection.ts';
import { buildSpec } from '../../src-main/models/registry.ts';

describe('PSFP schedule', () => {
  it('passes through P_0 = 0, P_(D*M) = 3P/4 and P_M = P exactly', () => {
    for (const [target, epochs, d] of [[0.3, 100, 1 / 8], [0.4, 16, 1 / 8], [0.3, 10, 0.25]] as const) {
      const c = fitPsfp(target, epochs, d);
      expect(c.a * Math.exp(0) + c.b).toBeCloseTo(0, 12);
      expect(c.a * Math.exp(-c.k * d * epochs) + c.b).toBeCloseTo((3 * target) / 4, 12);
      expect(c.a * Math.exp(-c.k * epochs) + c.b).toBeCloseTo(target, 12);
      expect(psfpRate(c, epochs)).toBe(target);
    }
  });

  it('gives the reference numbers for M=100, P=0.3', () => {
    const c = fitPsfp(0.3, 100);
    expect(psfpRate(c, 1)).toBeCloseTo(0.031, 3);
    expect(psfpRate(c, 10)).toBeCloseTo(0.201, 3);
    expect(psfpRate(c, 25)).toBeCloseTo(0.281, 3);
    expect(psfpRate(c, 100)).toBe(0.3);
    expect(() => fitPsfp(1, 10)).toThrow(/\[0, 1\)/);
  });
});

describe('FLOPs accounting', () => {
  const table: [string, number, number[]][] = [
    ['resnet20', 4.06e7, [15.2, 29.3, 42.2, 54.0]],
    ['resnet32', 6.89e7, [14.9, 28.8, 41.5, 53.2]],
    ['resnet56', 1.25e8, [14.7, 28.4, 41.1, 52.6]],
    ['resnet110', 2.53e8, [14.6, 28.2, 40.8, 52.3]],
  ];
  it.each(table)('%s paper-style baseline and reductions at 10/20/30/40%% match the SFP table', (name, baseline, reductions) => {
    const spec = buildSpec(name);
    [0.1, 0.2, 0.3, 0.4].forEach((rate, i) => {
      const r = paperStyleReduction(spec, rate);
      expect(Number(r.baseline.toPrecision(3))).toBe(baseline);
      expect(Math.round(r.reduction * 1000) / 10).toBe(reductions[i]);
    });
  });

  it('counts every MAC of ResNet-20 exactly (3x3 convs + classifier)', () => {
    const cost = countCost(buildSpec('resnet20'));
    expect(cost.macs3x3).toBe(40_550_400);
    expect(cost.macs).toBe(40_550_400 + 64 * 10);
    expect(cost.params).toBe(cost.layers.reduce((a, l) => a + l.params, 0) + 19 * 2 * 0 + 2 * (16 * 7 + 32 * 6 + 64 * 6));
  });
});

describe('layer selection by role', () => {
  it('prunes every conv of a CIFAR ResNet and skips downsample convs of ImageNet ResNets', () => {
    expect(selectLayers(buildSpec('resnet20'), 0.3).size).toBe(19);
    const r18 = buildSpec('resnet18', { inputSize: [32, 32] });
    const sel = selectLayers(r18, 0.3);
    expect([...sel.keys()].some((n) => n.includes('downsample'))).toBe(false);
    expect(sel.size).toBe(17);
    const expert = selectLayers(buildSpec('resnet20'), 0.3, { layerRates: { 'stem/conv': 0, 'stage1/block1/conv1': 0.5 } });
    expect(expert.has('stem/conv')).toBe(false);
    expect(expert.get('stage1/block1/conv1')).toBe(0.5);
    expect(() => selectLayers(buildSpec('resnet20'), 0.3, { layerRates: { 'fc': 0.5 } })).toThrow(/"fc"/);
  });
});
