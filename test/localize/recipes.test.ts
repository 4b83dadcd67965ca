import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { applyLocalizeRecipe, localizeTrainRecipeNames, localizeTrainRecipes, localizeTrainSchema, type LocalizeTrainRecipe } from '../../src-main/common/contract/localize.ts';
import { localizeTrainJob } from '../../src-main/localize/jobs.ts';
import { learningRateAt } from '../../src-main/localize/train-runner.ts';
import { tempWorkspace } from '../spgan/helpers.ts';
import { addObjectDataset } from './helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let datasetId = 0;

beforeAll(async () => {
  env = tempWorkspace();
  datasetId = await addObjectDataset(env.ws, path.join(env.dir, 'objects'), 2, 12);
});
afterAll(() => env?.cleanup());

describe('localize.train recipes', () => {
  it.each(localizeTrainRecipeNames)('%s: parses, passes the job preflight, and the config given with it wins', (name) => {
    const params = localizeTrainSchema.parse(applyLocalizeRecipe(name, { datasetId }));
    expect(() => localizeTrainJob.preflight!(params, env.ws)).not.toThrow();
    const recipe: LocalizeTrainRecipe = localizeTrainRecipes[name];
    for (const [key, value] of Object.entries(recipe.params)) {
      if (key !== 'spg') expect((params as Record<string, unknown>)[key], key).toEqual(value);
    }
    const over = localizeTrainSchema.parse(applyLocalizeRecipe(name, { datasetId, epochs: 2, spg: { branchChannels: 8 } }));
    expect(over.epochs).toBe(2);
    expect(over.spg.branchChannels).toBe(8);
    // A recipe's own spg fields stay beside the config's.
    expect(over.spg.startEpoch).toBe(recipe.params.spg?.startEpoch ?? 1);
  });

  it('the paper recipes are the reference schedule: SPG at 224 px, lr 0.001 without decay, batch 20, 5 (ILSVRC) and 21 (CUB) epochs, the paper thresholds', () => {
    for (const [name, epochs] of [['spg-ilsvrc-paper', 5], ['spg-cub-paper', 21]] as const) {
      const p = localizeTrainSchema.parse(applyLocalizeRecipe(name, { datasetId }));
      expect(p).toMatchObject({ method: 'spg', imageSize: [224, 224], learningRate: 0.001, lrSchedule: 'constant', batchSize: 20, epochs });
      expect(p.spg).toMatchObject({ stage1: { high: 0.7, low: 0.05 }, stage2: { high: 0.5, low: 0.05 }, stage3: { high: 0.7, low: 0.1 }, minObjectPixels: 30, startEpoch: 1 });
    }
    expect(() => applyLocalizeRecipe('imagenet-fast', { datasetId })).toThrow(/^recipe: unknown recipe "imagenet-fast"/);
  });

  it('cosine schedule: the full rate at epoch 1, half way at the middle, towards 0 at the end; constant stays', () => {
    const p = { learningRate: 0.1, lrSchedule: 'cosine' as const, epochs: 10 };
    expect(learningRateAt(p, 1)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(p, 6)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(p, 10)).toBeCloseTo(0.1 * (1 + Math.cos((Math.PI * 9) / 10)) / 2, 12);
    expect(learningRateAt({ ...p, lrSchedule: 'constant' }, 10)).toBe(0.1);
  });
});
