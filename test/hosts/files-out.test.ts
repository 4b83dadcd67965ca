import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { startBrowserHost, type BrowserHost } from '../../src-main/hosts/http/server.ts';
import { insertJob } from '../../src-main/core/jobs/job-store.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

/** Files out: a job's and a model's files listed with absolute paths, and downloaded through the browser host. */
describe('files out of the workspace', () => {
  let core: WorkbenchCore;
  let host: BrowserHost;
  let cleanup: () => void;
  let outside: { dir: string; cleanup: () => void };
  let jobId: number;
  let modelId: number;
  const weights = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);

  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    outside = tempDir('wb-outside-');
    core = openCore({ workspaceDir: path.join(t.dir, 'ws') });
    host = await startBrowserHost(core, { port: 0 });
    const { ws } = core.ctx;
    jobId = insertJob(ws.db, { kind: 'models.export', title: 'Export', params: {}, status: 'running' });
    // A model folder and a TF.js export folder (two files) as the jobs leave them.
    const modelDir = path.join(ws.artifactsDir, 'models', 'm1');
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(path.join(modelDir, 'weights.bin'), weights);
    writeFileSync(path.join(modelDir, 'model.json'), '{}');
    modelId = Number(
      ws.db.prepare("INSERT INTO models (name, arch, spec, dir, job_id, metrics) VALUES ('m', 'resnet20', '{}', 'artifacts/models/m1', ?, '{}')").run(jobId).lastInsertRowid,
    );
    const exportDir = path.join(ws.artifactsDir, 'exports', 'tfjs-1');
    mkdirSync(exportDir, { recursive: true });
    writeFileSync(path.join(exportDir, 'model.json'), '{"format":"layers-model"}');
    writeFileSync(path.join(exportDir, 'group1-shard1of1.bin'), weights);
    ws.db.prepare("INSERT INTO artifacts (kind, path, size_bytes, job_id, model_id) VALUES ('export-tfjs', 'artifacts/exports/tfjs-1', 0, ?, ?)").run(jobId, modelId);
    writeFileSync(path.join(outside.dir, 'secret.txt'), 'not yours');
  });
  afterAll(async () => {
    await host.close();
    await core.close();
    cleanup();
    outside.cleanup();
  });

  const call = async (name: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${host.port}/api/call/${name}`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: JSON.stringify(body) });
    const env = (await res.json()) as { ok: boolean; result?: unknown; error?: unknown };
    if (!env.ok) throw new Error(JSON.stringify(env.error));
    return env.result;
  };
  const download = (file: string, token: string | null = host.token): Promise<Response> =>
    fetch(`http://127.0.0.1:${host.port}/files/download?path=${encodeURIComponent(file)}${token ? `&token=${token}` : ''}`);

  it('lists a job\'s files (its artifacts, folders file by file, and its models) with absolute paths', async () => {
    const files = (await call('jobs.files', { id: jobId })) as { kind: string; path: string; sizeBytes: number }[];
    const ws = core.ctx.ws.dir;
    expect(files).toEqual([
      { kind: 'export-tfjs', path: path.join(ws, 'artifacts/exports/tfjs-1/group1-shard1of1.bin'), sizeBytes: 8 },
      { kind: 'export-tfjs', path: path.join(ws, 'artifacts/exports/tfjs-1/model.json'), sizeBytes: 25 },
      { kind: 'model', path: path.join(ws, 'artifacts/models/m1/model.json'), sizeBytes: 2 },
      { kind: 'model', path: path.join(ws, 'artifacts/models/m1/weights.bin'), sizeBytes: 8 },
    ]);
    const modelFiles = (await call('models.files', { id: modelId })) as { kind: string }[];
    expect(modelFiles.map((f) => f.kind)).toEqual(['model', 'model', 'export-tfjs', 'export-tfjs']);
  });

  it('downloads a workspace file as an attachment, with the token only', async () => {
    const file = path.join(core.ctx.ws.dir, 'artifacts/models/m1/weights.bin');
    const res = await download(file);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="weights.bin"; filename*=UTF-8''weights.bin`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(weights);
    expect((await download(file, null)).status).toBe(401);
  });

  it.each([
    ['a file outside the workspace and the dataset folders', () => path.join(outside.dir, 'secret.txt'), 404],
    ['a folder', () => path.join(core.ctx.ws.dir, 'artifacts/models/m1'), 404],
    ['a relative path', () => 'artifacts/models/m1/weights.bin', 400],
    ['a path climbing out', () => path.join(core.ctx.ws.dir, '..', '..', 'etc', 'passwd'), 404],
  ])('refuses %s', async (_label, file, status) => {
    const res = await download(file());
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { field: string } };
    expect(body.error.field).toBe('path');
  });
});
