import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { startEngine } from '../../src-main/engine/start.ts';
import { buildSpec } from '../../src-main/models/registry.ts';
import { initModel, disposeModel, trainableVariables } from '../../src-main/nn/init.ts';
import { forward } from '../../src-main/nn/forward.ts';
import { localizationSpec, layoutOf, SPG_BRANCHES, CAM_MAPS } from '../../src-main/localize/head.ts';
import { ternaryMask, maskedBce, spgLosses, attentionMaps, mapsOfClass } from '../../src-main/localize/spg.ts';
import { spgConfigSchema } from '../../src-main/common/contract/localize.ts';

beforeAll(async () => {
  await startEngine('wasm');
});

const cfg = spgConfigSchema.parse({});

describe('SPG config', () => {
  it("defaults to the paper's thresholds, a stage given in part keeps the rest, and low must stay below high", () => {
    expect([cfg.stage1, cfg.stage2, cfg.stage3]).toEqual([{ high: 0.7, low: 0.05 }, { high: 0.5, low: 0.05 }, { high: 0.7, low: 0.1 }]);
    expect(spgConfigSchema.parse({ stage2: { high: 0.6 } }).stage2).toEqual({ high: 0.6, low: 0.05 });
    const bad = spgConfigSchema.safeParse({ stage3: { high: 0.2, low: 0.3 } });
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['stage3', 'low must be below high']]);
  });
});

describe('SPG masks and BCE, hand cases', () => {
  it('ternary mask: >= high object, < low background, the rest ignored; the 0.7 x max fallback', () => {
    const m = tf.tensor3d([0.9, 0.5, 0.02, 0.3], [1, 2, 2]);
    const a = ternaryMask(m, 0.7, 0.05, 0);
    expect([...a.target.dataSync()]).toEqual([1, 0, 0, 0]);
    expect([...a.weight.dataSync()]).toEqual([1, 0, 1, 0]);
    // Nothing reaches 0.95: with a 1-pixel minimum the fallback takes >= 0.7 * 0.9 = 0.63.
    const b = ternaryMask(m, 0.95, 0.05, 1);
    expect([...b.target.dataSync()]).toEqual([1, 0, 0, 0]);
    // Without the fallback (minimum 0) nothing is object.
    expect([...ternaryMask(m, 0.95, 0.05, 0).target.dataSync()]).toEqual([0, 0, 0, 0]);
    tf.dispose([m, a.target, a.weight, b.target, b.weight]);
  });

  it('BCE counts only non-ignored pixels', () => {
    // Logit 0 everywhere: each counted pixel costs log 2, whatever its target.
    const z = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    const mask = { target: tf.tensor4d([1, 0, 0, 0], [1, 2, 2, 1]), weight: tf.tensor4d([1, 0, 1, 0], [1, 2, 2, 1]) };
    expect(maskedBce(z, mask).dataSync()[0]).toBeCloseTo(Math.log(2), 6);
    // A confident right answer on the object pixel, a wrong one on an ignored pixel: (log(1+e^-5) + log 2) / 2.
    const z2 = tf.tensor4d([5, 9, 0, 0], [1, 2, 2, 1]);
    expect(maskedBce(z2, mask).dataSync()[0]).toBeCloseTo((Math.log1p(Math.exp(-5)) + Math.log(2)) / 2, 5);
  });

  it('attention maps: the class map of each image\'s class, upsampled and normalised to [0,1]', () => {
    // Two classes on a 2x2 map; image 0 asks class 1, image 1 class 0.
    const maps = tf.tensor4d([[[[0, 4], [1, 3]], [[2, 2], [3, 1]]], [[[5, 0], [6, 0]], [[7, 0], [9, 0]]]]);
    expect([...mapsOfClass(maps, tf.tensor1d([1, 0], 'int32')).dataSync()]).toEqual([4, 3, 2, 1, 5, 6, 7, 9]);
    const att = attentionMaps(maps, tf.tensor1d([1, 0], 'int32'), 4, 4);
    expect(att.shape).toEqual([2, 4, 4]);
    const v = att.dataSync();
    expect(Math.min(...v)).toBeCloseTo(0, 6);
    expect(Math.max(...v.slice(0, 16))).toBeCloseTo(1, 6);
    expect(v[0]).toBeCloseTo(1, 6); // image 0: top-left (4) is its maximum
  });
});

describe('the localization head and the SPG losses on a registry backbone', () => {
  it.each([
    ['resnet20', 32, 3],
    ['resnet18', 64, 1],
  ] as const)('%s at %i px: shapes, gradients reach branches and backbone, none reaches the class maps through BCE', (arch, size, channels) => {
    const backbone = buildSpec(arch, { inputSize: [size, size], numClasses: 3, channels, widthMultiplier: 0.25 });
    const { spec, layout } = localizationSpec(backbone, SPG_BRANCHES, 4);
    expect(layoutOf(spec)).toEqual(layout);
    const model = initModel(spec, 1);
    try {
      const x = tf.randomNormal([2, size, size, channels], 0, 1, 'float32', 3) as tf.Tensor4D;
      const labels = tf.tensor1d([0, 2], 'int32');
      const taps = [layout.classMaps, ...SPG_BRANCHES.map((b) => layout.branches[b]!.output)];
      const out = forward(model, x, { training: false, taps });
      const maps = out.nodes!.get(CAM_MAPS)!;
      expect(out.logits.shape).toEqual([2, 3]);
      expect(maps.shape.slice(0, 1).concat(maps.shape.slice(3))).toEqual([2, 3]);
      // Logits are the global average of the class maps (CAM).
      expect(Math.max(...tf.abs(tf.sub(tf.mean(maps, [1, 2]), out.logits)).dataSync())).toBeLessThan(1e-4);
      for (const b of SPG_BRANCHES) expect(out.nodes!.get(layout.branches[b]!.output)!.shape[3]).toBe(1);

      const vars = trainableVariables(model);
      const spgOnly = tf.variableGrads(() => {
        const o = forward(model, x, { training: true, taps });
        const branches = Object.fromEntries(SPG_BRANCHES.map((b) => [b, o.nodes!.get(layout.branches[b]!.output) as tf.Tensor4D]));
        return spgLosses(mapsOfClass(o.nodes!.get(CAM_MAPS) as tf.Tensor4D, labels), branches, cfg).total;
      }, vars);
      expect(Number.isFinite(spgOnly.value.dataSync()[0])).toBe(true);
      const norm = (name: string): number => {
        const g = spgOnly.grads[(model.weights.get(name) as tf.Variable).name];
        return g ? tf.norm(g).dataSync()[0]! : 0;
      };
      for (const b of SPG_BRANCHES) expect(norm(`spg/${b}/conv2/kernel`), b).toBeGreaterThan(0);
      expect(norm('stem/conv/kernel')).toBeGreaterThan(0);
      // The masks come from the class maps but carry no gradient back into them.
      expect(norm(`${CAM_MAPS}/kernel`)).toBe(0);
      tf.dispose([x, labels, out.logits, ...out.nodes!.values(), spgOnly.value, ...Object.values(spgOnly.grads)]);
    } finally {
      disposeModel(model);
    }
  });

  it('evaluation (folded BatchNorm) gives the same class maps and logits as the unfolded graph with the same statistics', () => {
    const backbone = buildSpec('resnet20', { inputSize: [32, 32], numClasses: 3, channels: 1, widthMultiplier: 0.25 });
    const { spec, layout } = localizationSpec(backbone, SPG_BRANCHES, 4);
    const model = initModel(spec, 2);
    try {
      // Non-trivial running statistics, so folding has something to fold.
      for (const [name, t] of model.weights) {
        if (name.endsWith('/movingMean')) (t as tf.Variable).assign(tf.fill(t.shape, 0.3));
        if (name.endsWith('/movingVariance')) (t as tf.Variable).assign(tf.fill(t.shape, 2));
      }
      const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
      const taps = [layout.classMaps, layout.branches.deep!.output];
      const folded = forward(model, x, { training: false, taps });
      // Frozen BatchNorm in training mode: the running statistics, no folding.
      const frozen = { ...model, spec: { ...spec, nodes: spec.nodes.map((n) => (n.op === 'batchNorm' ? { ...n, frozen: true } : n)) } };
      const plain = forward(frozen, x, { training: true, taps });
      const diff = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      expect(diff(folded.logits, plain.logits)).toBeLessThan(1e-3);
      for (const t of taps) expect(diff(folded.nodes!.get(t)!, plain.nodes!.get(t)!), t).toBeLessThan(1e-3);
    } finally {
      disposeModel(model);
    }
  });

  it('a backbone whose last stage has too few stages for the branches is refused by name', () => {
    const spec = buildSpec('resnet20', { inputSize: [16, 16], numClasses: 2 });
    const oneStage = { ...spec, nodes: spec.nodes.filter((n) => !/^stage[23]\//.test(n.name)) };
    expect(() => localizationSpec({ ...oneStage, nodes: oneStage.nodes.map((n) => (n.name === 'pool' && n.op === 'globalAvgPool' ? { ...n, input: 'stage1/block3/relu2' } : n.name === 'fc' && n.op === 'dense' ? { ...n, inFeatures: 16 } : n)) }, SPG_BRANCHES, 4)).toThrow(/SPG's branches need at least 2/);
  });
});
