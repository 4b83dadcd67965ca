import { describe, expect, it } from 'vitest';
import { catalogue, describeEntry } from '../../src-main/reproduce/catalogue.ts';
import { trainConfigSchema } from '../../src-main/common/contract/train.ts';
import { reproduceScales } from '../../src-main/common/contract/reproduce.ts';
import { resolvePipeline } from '../../src-main/augment/pipeline.ts';
import { buildSpec } from '../../src-main/models/specs.ts';
import { paperStyleReduction } from '../../src-main/prune/flops.ts';

const cases = catalogue.flatMap((entry) => reproduceScales.map((scale) => ({ entry, scale, name: `${entry.id} (${scale})` })));

/** One test over every entry and scale of the catalogue. */
describe.each(cases)('reproduction $name', ({ entry, scale }) => {
  const spec = entry.scales[scale];

  it('builds a valid train config for every run, with the seed and the dataset it is given', () => {
    expect(spec.runs.length).toBeGreaterThan(0);
    expect(new Set(spec.runs.map((r) => r.key)).size).toBe(spec.runs.length);
    for (const run of spec.runs) {
      const parsed = trainConfigSchema.safeParse(run.config({ datasetId: 42, split: 'mine', seed: 9 }));
      expect(parsed.success, `${run.key}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
      const cfg = parsed.data!;
      expect(cfg.dataset).toMatchObject({ id: 42, split: 'mine' });
      expect(cfg.seed).toBe(9);
      // The augmentation spec is one the pipeline accepts (transform names and options).
      expect(() => resolvePipeline(cfg.augment!.spec)).not.toThrow();
    }
  });

  it('measures every claim from runs the paper scale has', () => {
    const paperKeys = entry.scales.paper.runs.map((r) => r.key);
    for (const claim of entry.claims) {
      expect(paperKeys, claim.key).toContain(claim.measure.run);
      if (claim.measure.minus) expect(paperKeys, claim.key).toContain(claim.measure.minus);
      if (claim.kind === 'value') expect(claim.paper, claim.key).not.toBeNull();
    }
    expect(describeEntry(entry).scales[scale].imageEpochs).toBeGreaterThan(0);
  });
});

describe('the catalogue', () => {
  it('has the four seed claims and the variants question', () => {
    expect(catalogue.map((e) => e.id)).toEqual(['sfp-table', 'psfp-vs-sfp', 'random-erasing-fashion-mnist', 'random-erasing-cifar10', 'erase-relu', 'prune-variants']);
  });

  it("states SFP's FLOPs cuts as the workbench's own paper-style count computes them", () => {
    const sfp = catalogue.find((e) => e.id === 'sfp-table')!;
    const flopsClaims = sfp.claims.filter((c) => c.measure.metric === 'flopsCut');
    expect(flopsClaims).toHaveLength(12);
    for (const claim of flopsClaims) {
      const run = sfp.scales.paper.runs.find((r) => r.key === claim.measure.run)!;
      const cfg = trainConfigSchema.parse(run.config({ datasetId: 1, seed: 0 }));
      expect(paperStyleReduction(buildSpec(cfg.model!.arch, {}), cfg.prune!.rate).reduction * 100, claim.key).toBeCloseTo(claim.paper!, 1);
    }
  });

  it('keeps the paper scale on the papers\' protocols', () => {
    const sfp = catalogue.find((e) => e.id === 'sfp-table')!;
    const cfg = trainConfigSchema.parse(sfp.scales.paper.runs[1]!.config({ datasetId: 1, seed: 0 }));
    expect(cfg).toMatchObject({ epochs: 200, batchSize: 128, schedule: { kind: 'step', milestones: [60, 120, 160], gamma: 0.2 }, warmup: { epochs: 1, lr: 0.01 } });
    expect(cfg.optimizer).toEqual({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    const re = catalogue.find((e) => e.id === 'random-erasing-cifar10')!;
    const reCfg = trainConfigSchema.parse(re.scales.paper.runs.find((r) => r.key === 'resnet20-re')!.config({ datasetId: 1, seed: 0 }));
    expect(reCfg).toMatchObject({ epochs: 300, schedule: { kind: 'step', milestones: [150, 225], gamma: 0.1 } });
    // Erasing after normalisation, as the reference applies it.
    const steps = (reCfg.augment!.spec as { steps: { transform: string }[] }).steps.map((s) => s.transform);
    expect(steps.slice(-2)).toEqual(['normalize', 'randomErasing']);
  });
});
