/**
 * The pieces of a job on jobRoot that need no cluster (src-main/slurm/job-root.ts):
 * which inputs a job's params name, the tree staged from a real workspace
 * (database snapshot with its paths moved into the tree), and the landing of
 * what the node writes back into the workspace.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/core/db/open-database.ts';
import { insertJob } from '../../src-main/core/jobs/job-store.ts';
import { jobFolder, Workspace } from '../../src-main/core/workspace.ts';
import { JobRootLanding, planInputs, stagedJobDir, stageJob } from '../../src-main/slurm/job-root.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { importTinyIdx } from '../train/fixtures.ts';

describe('a job tree on jobRoot', () => {
  let ws: Workspace;
  let root: string;
  let cleanup: () => void;
  let datasetId: number;
  let blobFolder: string;

  beforeAll(async () => {
    const t = tempDir('wb-job-root-');
    cleanup = t.cleanup;
    root = t.dir;
    ws = Workspace.open(path.join(root, 'ws'));
    datasetId = await importTinyIdx(ws, path.join(root, 'idx'), { train: 8, test: 4 });
    const info = JSON.parse((ws.db.prepare('SELECT info FROM datasets WHERE id = ?').get(datasetId) as { info: string }).info) as { blob: { path: string } };
    blobFolder = path.dirname(info.blob.path);
  });
  afterAll(() => {
    ws?.close();
    cleanup?.();
  });

  it('names its inputs from the params: datasets, models and jobs by their keys (with the job folders of a resume chain), absolute paths read in place', () => {
    const modelDir = 'artifacts/models/m1';
    mkdirSync(ws.resolve(modelDir), { recursive: true });
    const modelId = Number(ws.db.prepare("INSERT INTO models (name, arch, spec, dir) VALUES ('m', 'resnet20', '{}', ?)").run(modelDir).lastInsertRowid);
    const first = insertJob(ws.db, { kind: 'train.run', title: 'a', params: { dataset: { id: datasetId } } });
    const second = insertJob(ws.db, { kind: 'train.run', title: 'b', params: { dataset: { id: datasetId } }, parentJobId: first });
    for (const id of [first, second]) mkdirSync(path.join(jobFolder(ws.dir, id), 'checkpoints'), { recursive: true });
    const plan = planInputs(ws, { dataset: { id: datasetId }, parentModelId: modelId, source: { path: '/srv/data/set' }, note: 'not/a/path' }, second);
    expect(plan.stage.sort()).toEqual([blobFolder, modelDir, `artifacts/jobs/${first}`, `artifacts/jobs/${second}`].sort());
    expect(plan.external).toEqual([{ what: 'params.source.path', field: 'params.source.path', path: '/srv/data/set' }]);
    // A decoded set is read from its pixels: the folder it was imported from is not an input.
    expect(planInputs(ws, { sourceDatasetId: datasetId }, null)).toEqual({ stage: [blobFolder], external: [] });
  });

  it('stages a snapshot the node can open read-only (rollback journal, owner-only), with the workspace paths of datasets moved into the tree', async () => {
    const inPlace = Number(ws.db.prepare("INSERT INTO datasets (name, format, root_path) VALUES ('files', 'imagefolder', ?)").run(path.join(ws.dir, 'artifacts', 'translated', 'job-9')).lastInsertRowid);
    const stageDir = path.join(root, 'shared', 'key', '77');
    await stageJob(ws, stageDir, 77, planInputs(ws, { datasetId }, null));
    const db = openDatabase(path.join(stageDir, 'workbench.db'), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
      expect((db.prepare('SELECT root_path FROM datasets WHERE id = ?').get(inPlace) as { root_path: string }).root_path).toBe(path.join(stageDir, 'artifacts', 'translated', 'job-9'));
      expect((db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ?').get(datasetId) as { n: number }).n).toBe(12);
    } finally {
      db.close();
    }
    expect(readdirSync(path.join(stageDir, blobFolder)).length).toBeGreaterThan(0);
    expect(existsSync(stagedJobDir(stageDir, 77))).toBe(true);
    expect(existsSync(path.join(stageDir, 'workbench.db.partial'))).toBe(false);
  });

  it('lands what the job wrote: new and changed files whole, not its inputs, not files being written, not the live channel; removes what the job removed; rewrites its paths', () => {
    const stageDir = path.join(root, 'shared', 'key', '78');
    const jobDir = stagedJobDir(stageDir, 78);
    mkdirSync(path.join(jobDir, 'slurm'), { recursive: true });
    mkdirSync(path.join(stageDir, blobFolder), { recursive: true });
    writeFileSync(path.join(stageDir, blobFolder, 'staged.bin'), 'input');
    writeFileSync(path.join(jobDir, 'slurm', 'from-job.jsonl'), '{}\n');
    mkdirSync(path.join(jobDir, 'ckpt-1'));
    writeFileSync(path.join(jobDir, 'ckpt-1', 'weights.bin'), 'one');
    writeFileSync(path.join(jobDir, 'ckpt-1', 'optimizer.bin.tmp'), 'half');
    const landing = new JobRootLanding(stageDir, ws.dir, 78, [blobFolder]);
    const wsJob = jobFolder(ws.dir, 78);
    expect(landing.land()).toBe(1);
    expect(readFileSync(path.join(wsJob, 'ckpt-1', 'weights.bin'), 'utf8')).toBe('one');
    expect(existsSync(path.join(wsJob, 'ckpt-1', 'optimizer.bin.tmp'))).toBe(false);
    expect(existsSync(path.join(ws.dir, blobFolder, 'staged.bin'))).toBe(false);
    expect(existsSync(path.join(wsJob, 'slurm'))).toBe(false);
    expect(landing.land()).toBe(0);
    writeFileSync(path.join(jobDir, 'ckpt-1', 'weights.bin'), 'one, rewritten');
    rmSync(path.join(jobDir, 'ckpt-1', 'optimizer.bin.tmp'));
    mkdirSync(path.join(jobDir, 'ckpt-2'));
    writeFileSync(path.join(jobDir, 'ckpt-2', 'weights.bin'), 'two');
    expect(landing.land()).toBe(2);
    expect(readFileSync(path.join(wsJob, 'ckpt-1', 'weights.bin'), 'utf8')).toBe('one, rewritten');
    rmSync(path.join(jobDir, 'ckpt-1'), { recursive: true });
    landing.land();
    expect(existsSync(path.join(wsJob, 'ckpt-1', 'weights.bin'))).toBe(false);
    expect(readdirSync(path.join(wsJob, 'ckpt-2'))).toEqual(['weights.bin']);
    expect(landing.rewrite({ dir: path.join(jobDir, 'ckpt-2'), list: [stageDir, `${stageDir}-other/x`], n: 3 })).toEqual({ dir: path.join(wsJob, 'ckpt-2'), list: [ws.dir, `${stageDir}-other/x`], n: 3 });
    landing.close();
    expect(existsSync(stageDir)).toBe(false);
    expect(readFileSync(path.join(wsJob, 'slurm', 'from-job.jsonl'), 'utf8')).toBe('{}\n');
  });
});
