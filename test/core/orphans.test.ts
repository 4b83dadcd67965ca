import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { insertJob } from '../../src-main/core/jobs/job-store.ts';
import { findOrphanFolders, removeOrphanFolders } from '../../src-main/core/orphans.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

describe('orphan data folders', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('removes the data of a job that ended without succeeding, but never data a dataset row names', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const ws = Workspace.open(t.dir);
    const folder = (id: number): string => {
      const dir = path.join(ws.artifactsDir, 'datasets', `job-${id}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'images.u8'), Buffer.alloc(16));
      return dir;
    };
    const job = (title: string, status: string): number => {
      const id = insertJob(ws.db, { kind: 'datasets.import', title, params: {}, status: 'running' });
      ws.db.prepare('UPDATE jobs SET status = ? WHERE id = ?').run(status, id);
      return id;
    };
    const [dead, made, live] = [job('killed', 'interrupted'), job('committed', 'interrupted'), job('done', 'succeeded')];
    ws.db.prepare("INSERT INTO datasets (name, format, root_path, job_id, info) VALUES ('d', 'cifar10', '/x', ?, '{}')").run(made);
    const [deadDir, madeDir, liveDir] = [folder(dead), folder(made), folder(live)];
    expect(findOrphanFolders(ws.db, ws.dir).map((f) => f.jobId)).toEqual([dead]);
    removeOrphanFolders(ws.db, ws.dir);
    expect([existsSync(deadDir), existsSync(madeDir), existsSync(liveDir)]).toEqual([false, true, true]);
    ws.close();
  });
});
