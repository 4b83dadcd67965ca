import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { tempDir, writeImage } from '../datasets/fixtures.ts';
import { runWorkbenchInProcess } from '../helpers/cli.ts';

/**
 * `workbench train` on class folders without a split: the refusal names the command that
 * makes one, and that command, pasted as printed, makes it; a class too small to split is named.
 */
describe('workbench train on a dataset that has no split yet', () => {
  let wsDir: string;
  let petsId: number;
  let rareId: number;
  const dirs: string[] = [];

  beforeAll(async () => {
    const ws = Workspace.open(tempDir('wb-ws-'));
    wsDir = ws.dir;
    const folders = async (classes: Record<string, number>) => {
      const root = tempDir();
      dirs.push(root);
      for (const [c, n] of Object.entries(classes)) for (let i = 0; i < n; i++) await writeImage(`${root}/${c}/${i}.jpg`, 8, 8);
      return root;
    };
    petsId = (await importDirect(ws, { path: await folders({ cat: 10, dog: 10 }), name: 'pets' })).report.datasetId!;
    rareId = (await importDirect(ws, { path: await folders({ cat: 10, okapi: 1 }), name: 'rare' })).report.datasetId!;
    ws.close();
  });
  afterAll(() => {
    for (const d of [wsDir, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  it('the refusal names `datasets split` in full; pasted as printed, it makes the split the config then names', async () => {
    const config = path.join(dirs[0]!, '..', `train-${petsId}.json`);
    dirs.push(config);
    writeFileSync(config, JSON.stringify({ dataset: { id: petsId }, model: { arch: 'resnet20' }, epochs: 1 }));
    const refused = await runWorkbenchInProcess(['--workspace', wsDir, 'train', '--config', config]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^workbench: dataset\.trainSplit: dataset \d+ "pets": it has no samples in split train; make a split first/);
    const command = /`workbench (datasets split [^`]+)`/.exec(refused.stderr)?.[1];
    expect(command).toBe(`datasets split ${petsId} --name stratified-80-10-10-s0 --test 0.1 --val 0.1 --seed 0`);
    expect(refused.stderr).toContain('"split": "stratified-80-10-10-s0"');

    const made = await runWorkbenchInProcess(['--workspace', wsDir, ...command!.split(' ')]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toBe(`Split "stratified-80-10-10-s0" of dataset ${petsId}: train 16, val 2, test 2.\n`);
    const listed = await runWorkbenchInProcess(['--workspace', wsDir, 'datasets', 'splits', String(petsId)]);
    expect(listed.stdout).toMatch(/stratified-80-10-10-s0\s+random\s+train 16, val 2, test 2\s/);
  });

  it('a class with one image is named, with --no-stratify as the way out', async () => {
    const refused = await runWorkbenchInProcess(['--workspace', wsDir, 'datasets', 'split', String(rareId), '--name', 'r', '--test', '0.1', '--val', '0.1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^workbench: Dataset \d+ cannot be split per class at test 10% and val 10%: class "okapi" \(1 image\) has too few images .*--no-stratify\)\. \(field stratify\)\n$/);
    const flat = await runWorkbenchInProcess(['--workspace', wsDir, 'datasets', 'split', String(rareId), '--name', 'r', '--test', '0.1', '--val', '0.1', '--no-stratify']);
    expect(flat.code, flat.stderr).toBe(0);
  });
});
