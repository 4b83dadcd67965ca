import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runWorkbench } from '../helpers/cli.ts';
import { tempWorkspace } from '../spgan/helpers.ts';
import { addObjectDataset } from './helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
let objectsId = 0;
let wsDir = '';

beforeAll(async () => {
  env = tempWorkspace();
  wsDir = env.ws.dir;
  objectsId = await addObjectDataset(env.ws, path.join(env.dir, 'objects'), 6, 12);
  // The CLI opens the workspace itself (one writer per workspace).
  env.ws.close();
});

afterAll(() => env?.cleanup());

describe('workbench localize (CLI, real job processes)', () => {
  it('generate, train and eval --json each print one JSON document', async () => {
    const run = (args: string[]) => runWorkbench(['--workspace', wsDir, '--json', 'localize', ...args], { timeoutMs: 120_000 });
    const genConfig = path.join(env.dir, 'gen.json');
    writeFileSync(genConfig, JSON.stringify({ objectDatasetId: objectsId, recipe: 'cluttered', canvas: 24, train: 9, val: 3, test: 6 }));
    const gen = await run(['generate', '--config', genConfig]);
    expect(gen.code, gen.stderr).toBe(0);
    const datasetId = (JSON.parse(gen.stdout) as { datasetId: number }).datasetId;
    expect(datasetId).toBeGreaterThan(0);

    const trainConfig = path.join(env.dir, 'train.json');
    writeFileSync(trainConfig, JSON.stringify({ datasetId, method: 'spg', arch: 'resnet20', widthMultiplier: 0.25, epochs: 1, batchSize: 9, spg: { branchChannels: 4 } }));
    const train = await run(['train', '--config', trainConfig, '--backend', 'wasm']);
    expect(train.code, train.stderr).toBe(0);
    const modelId = (JSON.parse(train.stdout) as { modelId: number }).modelId;
    expect(modelId).toBeGreaterThan(0);

    const ev = await run(['eval', '--model', String(modelId), '--dataset', String(datasetId), '--backend', 'wasm']);
    expect(ev.code, ev.stderr).toBe(0);
    const r = JSON.parse(ev.stdout) as { images: number; selectSplit: string; rows: { name: string; gtKnownLoc: number }[] };
    expect(r.images).toBe(6);
    expect(r.selectSplit).toBe('val');
    expect(r.rows).toHaveLength(4);

    const bad = await run(['eval', '--model', String(modelId), '--dataset', String(datasetId), '--threshold', '2']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--threshold/);
  }, 240_000);

  it('datasets generate <recipe> --json: the cluttered set by recipe name and the objects dataset by name; textured without backgrounds and an unknown recipe are refused naming the field', async () => {
    const config = path.join(env.dir, 'small.json');
    writeFileSync(config, JSON.stringify({ canvas: 24, train: 6, val: 3, test: 3, seed: 4 }));
    const gen = await runWorkbench(['--workspace', wsDir, '--json', 'datasets', 'generate', 'cluttered', '--objects', 'objects', '--config', config], { timeoutMs: 120_000 });
    expect(gen.code, gen.stderr).toBe(0);
    const out = JSON.parse(gen.stdout) as { datasetId: number; recipe: string; counts: { samples: number } };
    expect(out).toMatchObject({ recipe: 'cluttered', counts: { samples: 12 } });
    const shown = await runWorkbench(['--workspace', wsDir, '--json', 'datasets', 'show', String(out.datasetId)]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('cluttered');
    const textured = await runWorkbench(['--workspace', wsDir, 'datasets', 'generate', 'textured', '--objects', String(objectsId), '--config', config]);
    expect(textured.code).not.toBe(0);
    expect(textured.stderr).toContain('backgroundDatasetId: the textured recipe needs a background dataset');
    const unknown = await runWorkbench(['--workspace', wsDir, 'datasets', 'generate', 'noisy', '--objects', String(objectsId)]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('recipe: unknown recipe "noisy" (known: textured, cluttered)');
  }, 240_000);

  it('generate and train --help-config list every field with its default, read from the schema; without --config the option is named', async () => {
    const help = await runWorkbench(['localize', 'train', '--help-config']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/spg\.stage2\.high\s+number 0\.\.1\s+0\.5\n/);
    expect(help.stdout).toMatch(/method\s+one of cam \| spg\s+"spg"/);
    const gen = await runWorkbench(['localize', 'generate', '--help-config']);
    expect(gen.stdout).toMatch(/recipe\s+one of textured \| cluttered\s+"textured"/);
    const missing = await runWorkbench(['--workspace', wsDir, 'localize', 'train']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--config <file>');
    expect(missing.stderr).toContain('localize train --help-config');
  });

  it('train --recipe puts a named recipe under the config and validates the result before queueing; an unknown recipe is named', async () => {
    const config = path.join(env.dir, 'recipe.json');
    // The paper's ILSVRC recipe trains 5 epochs: guidance from epoch 9 is refused, which only the recipe's epochs make wrong.
    writeFileSync(config, JSON.stringify({ datasetId: objectsId, spg: { startEpoch: 9 } }));
    const late = await runWorkbench(['--workspace', wsDir, 'localize', 'train', '--recipe', 'spg-ilsvrc-paper', '--config', config]);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toContain('spg.startEpoch: the guidance would start at epoch 9, after the last epoch (5)');
    const unknown = await runWorkbench(['--workspace', wsDir, 'localize', 'train', '--recipe', 'imagenet-fast', '--config', config]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('recipe: unknown recipe "imagenet-fast" (known: spg-ilsvrc-paper, spg-cub-paper, cpu-quick)');
  });
});
