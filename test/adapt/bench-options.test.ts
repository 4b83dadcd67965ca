import { describe, it, expect } from 'vitest';
import { benchVariants, parseAdaptBenchArgs, summarizeSeeds } from '../../src-main/bench/adapt/options.ts';
import { adaptMethods } from '../../src-main/common/contract/adapt.ts';

const defaults = { fashion: '/f', cifar: '/c' };

describe('bench:adapt options and the summary over seeds', () => {
  it('--seeds lists training seeds (the data seed defaults to the first); --seed gives one; the defaults are one seed', () => {
    expect(parseAdaptBenchArgs(['--seeds', '3,7'], defaults)).toMatchObject({ seeds: [3, 7], dataSeed: 3 });
    expect(parseAdaptBenchArgs(['--seeds', '3,7', '--data-seed', '1'], defaults)).toMatchObject({ seeds: [3, 7], dataSeed: 1 });
    expect(parseAdaptBenchArgs(['--seed', '4'], defaults)).toMatchObject({ seeds: [4], dataSeed: 4 });
    expect(parseAdaptBenchArgs([], defaults)).toMatchObject({ task: 'fashion', seeds: [1], dataSeed: 1, methods: ['source-only', 'dann', 'daaa'], epochs: 6, fashion: '/f', cifar: '/c', emStartEpoch: 2, emPrior: 'estimated', lr: 0.05 });
    expect(parseAdaptBenchArgs(['--lr', '0.01'], defaults).lr).toBe(0.01);
    expect(parseAdaptBenchArgs(['--task', 'mnist', '--em-start', '3', '--em-prior', 'balanced'], defaults)).toMatchObject({ task: 'mnist', emStartEpoch: 3, emPrior: 'balanced' });
  });

  it('every variant names an adapt.train method; DAAA variants say where their translation comes from; the CycleGAN run is sized by its flags', () => {
    const o = parseAdaptBenchArgs(['--methods', 'source-only,daaa-cyclegan', '--gan-epochs', '2', '--gan-images', '600', '--gan-width', '8', '--gan-blocks', '2'], defaults);
    expect(o.methods).toEqual(['source-only', 'daaa-cyclegan']);
    expect(o.cyclegan).toEqual({ epochs: 2, imagesPerEpoch: 600, generatorWidth: 8, residualBlocks: 2 });
    for (const [name, v] of Object.entries(benchVariants)) {
      expect((adaptMethods as readonly string[]).includes(v.method), name).toBe(true);
      // Only DAAA trains on a translation, and it always needs one.
      expect(v.translation !== null, name).toBe(v.method === 'daaa');
    }
    // The ablations switch exactly one of DAAA's two terms off; the ceiling trains on the target.
    expect(benchVariants['daaa-no-attention']).toMatchObject({ method: 'daaa', params: { attentionWeight: 0 } });
    expect(benchVariants['daaa-no-em']).toMatchObject({ method: 'daaa', params: { targetWeight: 0 } });
    expect(benchVariants['daaa-translation-only']).toMatchObject({ method: 'daaa', params: { attentionWeight: 0, targetWeight: 0 } });
    expect(benchVariants['daaa-em-estimated']).toMatchObject({ method: 'daaa', params: { emPrior: 'estimated', emStartEpoch: 2 } });
    // The same ablations on the learned translation: the blend rows' parameters, the CycleGAN's translation.
    for (const term of ['no-attention', 'no-em'] as const) {
      expect(benchVariants[`daaa-cyclegan-${term}`]).toEqual({ ...benchVariants[`daaa-${term}`], translation: 'cyclegan' });
    }
    expect(benchVariants['target-supervised']).toMatchObject({ method: 'source-only', trainOn: 'target' });
  });

  it.each([
    [['--seeds', '1,x'], /^--seeds: expected comma-separated integers/],
    [['--seeds', '2,2'], /^--seeds: "2,2" names a seed twice/],
    [['--methods', 'dann,magic'], /^--methods: unknown method "magic" \(known: source-only, dann, daaa, daaa-no-attention, daaa-no-em, daaa-translation-only, daaa-em-estimated, daaa-cyclegan, daaa-cyclegan-no-attention, daaa-cyclegan-no-em, target-supervised\)/],
    [['--task', 'svhn'], /^--task: unknown task "svhn" \(known: mnist, fashion\)/],
    [['--em-prior', 'uniform'], /^--em-prior: expected estimated or balanced/],
    [['--em-start', '1'], /^--em-start: expected an integer >= 2/],
    [['--epochs', '0'], /^--epochs: expected an integer >= 1/],
    [['--gan-width', '1'], /^--gan-width: expected an integer >= 2/],
    [['--lr', '0'], /^--lr: expected a number > 0, got "0"/],
  ])('%j is refused naming the flag', (args, message) => {
    expect(() => parseAdaptBenchArgs(args, defaults)).toThrow(message);
  });

  it('summarises per method: means over seeds, the target accuracy spread, in the order methods ran', () => {
    const runs = [
      { method: 'source-only', seed: 1, sourceAccuracy: 0.9, targetAccuracy: 0.3, trainSeconds: 10 },
      { method: 'dann', seed: 1, sourceAccuracy: 0.8, targetAccuracy: 0.4, trainSeconds: 1 },
      { method: 'source-only', seed: 2, sourceAccuracy: 0.7, targetAccuracy: 0.5, trainSeconds: 30 },
      { method: 'dann', seed: 2, sourceAccuracy: null, targetAccuracy: null, trainSeconds: 1 },
    ];
    const s = summarizeSeeds(runs);
    expect(s.map((r) => r.method)).toEqual(['source-only', 'dann']);
    expect(s[0]!.seeds).toBe(2);
    expect(s[0]!.sourceAccuracy).toBeCloseTo(0.8, 12);
    expect(s[0]!.targetAccuracy).toBeCloseTo(0.4, 12);
    expect([s[0]!.targetMin, s[0]!.targetMax]).toEqual([0.3, 0.5]);
    // Sample standard deviation of 0.3 and 0.5.
    expect(s[0]!.targetStd).toBeCloseTo(Math.SQRT2 / 10, 12);
    // The mean training time per run.
    expect(s[0]!.trainSeconds).toBe(20);
    // A seed without a measurement does not count; one value has no spread.
    expect(s[1]).toEqual({ method: 'dann', seeds: 2, sourceAccuracy: 0.8, targetAccuracy: 0.4, targetMin: 0.4, targetMax: 0.4, targetStd: null, trainSeconds: 1 });
  });
});
