/**
 * Faults and recovery, with real processes on a real workspace: a browser host
 * killed under a CLI that routed its job there, `jobs resume` with no host, a
 * lock whose pid now belongs to another program, and the decoded data a killed
 * import leaves behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { processStartTime } from '../../src-main/core/host-lock.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { forkLauncher } from '../../src-main/core/jobs/fork-launcher.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import type { TrainResult } from '../../src-main/common/contract/train.ts';
import { idxImages, idxLabels, writeImage } from '../datasets/fixtures.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { pngHeaderOnly } from './hostile-files.ts';
import { childrenOf, exited, until } from './processes.ts';
import { repoRoot, runWorkbench, workbenchBin } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

async function startHost(ws: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [workbenchBin, '--workspace', ws, '--json', 'serve', '--port', '0'], { cwd: repoRoot });
  const started = await new Promise<{ url: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { url: string });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { child, url: started.url };
}

function runCli(args: string[]): { child: ChildProcess; result: Promise<{ code: number; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [workbenchBin, ...args], { cwd: repoRoot });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  return { child, result: exited(child).then((code) => ({ code, stdout, stderr })) };
}

/** An MNIST-sized IDX pair: big enough that an import runs for a moment, small on disk. */
function writeIdx(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idxImages(n, 28, 28));
  writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxLabels(Array.from({ length: n }, (_, i) => i % 10)));
}

function decodedFolders(ws: string): string[] {
  const dir = path.join(ws, 'artifacts', 'datasets');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function integrity(ws: string): { check: string; datasets: number; orphanSamples: number } {
  const db = new Database(path.join(ws, 'workbench.db'), { readonly: true });
  try {
    return {
      check: (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
      datasets: (db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n,
      orphanSamples: (db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id NOT IN (SELECT id FROM datasets)').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

describe('faults and recovery (real processes)', () => {
  let root: string;
  let cleanup: () => void;
  const spawned: ChildProcess[] = [];

  beforeAll(() => {
    ({ dir: root, cleanup } = tempDir('wb-faults-'));
    writeIdx(path.join(root, 'mnist'), 60000);
  });
  afterAll(() => {
    for (const c of spawned) if (c.exitCode === null) c.kill('SIGKILL');
    cleanup();
  });

  it('a CLI whose browser host dies says so in one line, exits non-zero and names `jobs resume`; resume without a host runs the job to its end and the killed import leaves nothing behind', async () => {
    const ws = path.join(root, 'ws-lost');
    const host = await startHost(ws);
    spawned.push(host.child);
    const cli = runCli(['--workspace', ws, 'datasets', 'import', path.join(root, 'mnist')]);
    spawned.push(cli.child);
    // Kill the host (and so its job) while the import writes its decoded data.
    const folder = await until('the import to write decoded data', () => decodedFolders(ws)[0]);
    const jobId = Number(/^job-(\d+)$/.exec(folder)![1]);
    host.child.kill('SIGKILL');
    const started = Date.now();
    const r = await cli.result;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('workbench:'));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^workbench: Lost the workbench host at http://127\\.0\\.0\\.1:\\d+ \\(it stopped or restarted\\); job ${jobId} did not finish there\\. Continue it with \`workbench jobs resume ${jobId}\`\\.$`))]);

    // No host now: the CLI opens the workspace itself, removes the dead import's data, and hosts the resumed job to its end.
    const resumed = await runWorkbench(['--workspace', ws, 'jobs', 'resume', String(jobId)], { timeoutMs: 120_000 });
    expect(resumed.stderr).toContain(`artifacts/datasets/job-${jobId}`);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^Job (\\d+) \\(continuing job ${jobId}\\) succeeded\\.\\n$`));
    const newId = Number(/^Job (\d+)/.exec(resumed.stdout)![1]);
    expect(decodedFolders(ws)).toEqual([`job-${newId}`]);
    const jobs = JSON.parse((await runWorkbench(['--workspace', ws, '--json', 'jobs', 'list'])).stdout) as { id: number; status: string }[];
    expect(jobs.find((j) => j.id === jobId)?.status).toBe('interrupted');
    expect(jobs.find((j) => j.id === newId)?.status).toBe('succeeded');
    expect(integrity(ws)).toEqual({ check: 'ok', datasets: 1, orphanSamples: 0 });
  });

  it('`workspace verify` reports the decoded data of an import whose job process was killed; the next start removes it', async () => {
    const ws = path.join(root, 'ws-orphan');
    const host = await startHost(ws);
    spawned.push(host.child);
    try {
      const cli = runCli(['--workspace', ws, 'datasets', 'import', path.join(root, 'mnist')]);
      spawned.push(cli.child);
      const folder = await until('the import to write decoded data', () => decodedFolders(ws)[0]);
      const jobProcess = await until('the job process', () => childrenOf(host.child.pid!)[0]);
      process.kill(jobProcess, 'SIGKILL');
      const r = await cli.result;
      expect(r.code).not.toBe(0);
      expect(decodedFolders(ws)).toEqual([folder]);
      const verify = await runWorkbench(['--workspace', ws, '--json', 'workspace', 'verify']);
      expect(verify.code, verify.stderr).toBe(0);
      const report = JSON.parse(verify.stdout) as { orphans: { path: string; bytes: number; reason: string }[] };
      expect(report.orphans).toEqual([{ path: `artifacts/datasets/${folder}`, jobId: Number(folder.slice(4)), bytes: expect.any(Number), reason: expect.stringMatching(/failed.*nothing refers to its data/) }]);
    } finally {
      host.child.kill('SIGTERM');
      await exited(host.child);
    }
    const info = await runWorkbench(['--workspace', ws, 'workspace', 'info']);
    expect(info.code).toBe(0);
    expect(info.stderr).toMatch(/^Removed 1 data folder\(s\) of jobs that did not finish \(.* MiB\): artifacts\/datasets\/job-\d+$/m);
    expect(decodedFolders(ws)).toEqual([]);
    expect(integrity(ws)).toEqual({ check: 'ok', datasets: 0, orphanSamples: 0 });
  });

  describe('a lock whose pid is alive', () => {
    let other: ChildProcess;
    beforeAll(() => {
      // Another program that got the pid: not a workbench.
      other = spawn('sleep', ['60']);
      spawned.push(other);
    });

    it.each([
      ['an old lock without a start time, held by another program', (pid: number) => ({ pid, host: 'cli' })],
      ['a lock whose start time is not the process now at its pid', (pid: number) => ({ pid, host: 'browser', started: '1', url: 'http://127.0.0.1:9', token: 'x' })],
    ])('%s: taken over as stale, saying so', async (_name, lock) => {
      const ws = path.join(root, `ws-lock-${_name.length}`);
      mkdirSync(ws, { recursive: true });
      writeFileSync(path.join(ws, 'workbench.lock'), JSON.stringify(lock(other.pid!)));
      const r = await runWorkbench(['--workspace', ws, '--json', 'workspace', 'info'], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`named process ${other.pid}, which is now another program (sleep 60), not the workbench that took the lock: the lock was stale and is taken over.`);
      expect(JSON.parse(r.stdout)).toMatchObject({ dir: ws });
    });

    it('a lock that really names its live holder still refuses, and says how to recover', async () => {
      const ws = path.join(root, 'ws-lock-held');
      mkdirSync(ws, { recursive: true });
      writeFileSync(path.join(ws, 'workbench.lock'), JSON.stringify({ pid: other.pid, host: 'cli', started: processStartTime(other.pid!) }));
      const r = await runWorkbench(['--workspace', ws, 'workspace', 'info']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`If no workbench runs there any more, delete ${path.join(ws, 'workbench.lock')}.`);
    });
  });
});

describe('a training job meeting undecodable images (real job process)', () => {
  it('skips them, names them in the log and the result, and finishes', async () => {
    const t = tempDir('wb-undecodable-');
    const ws = Workspace.open(path.join(t.dir, 'ws'));
    const jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: forkLauncher });
    jobs.start();
    try {
      const data = path.join(t.dir, 'data');
      for (const split of ['train', 'test']) {
        for (let i = 0; i < 6; i++) {
          await writeImage(`${data}/${split}/a/${i}.png`, 8, 8, [220, 20 + i, 20], 'png');
          await writeImage(`${data}/${split}/b/${i}.png`, 8, 8, [20, 20 + i, 220], 'png');
        }
      }
      // Headers that index fine (8x8, IEND present) but hold no pixel data: only decoding finds out.
      writeFileSync(`${data}/train/a/broken.png`, pngHeaderOnly(8, 8));
      writeFileSync(`${data}/test/b/broken.png`, pngHeaderOnly(8, 8));
      const imported = await importDirect(ws, { path: data });
      expect(imported.report.counts.samples).toBe(26);
      const datasetId = (ws.db.prepare('SELECT id FROM datasets').get() as { id: number }).id;
      const config = {
        dataset: { id: datasetId, validationFraction: 0.25 },
        model: { arch: 'resnet20', options: { widthMultiplier: 0.25 } },
        epochs: 2,
        batchSize: 4,
        optimizer: { lr: 0.05, momentum: 0.9 },
        seed: 3,
      };
      const done = await jobs.waitFor(jobs.submit('train.run', config, { backend: 'cpu' }).id);
      expect(done.status, done.error ?? '').toBe('succeeded');
      const result = JSON.parse((ws.db.prepare('SELECT result FROM jobs WHERE id = ?').get(done.id) as { result: string }).result) as TrainResult;
      expect(result.skippedSamples).toEqual({ count: 2, files: expect.arrayContaining(['train/a/broken.png', 'test/b/broken.png']) });
      const warnings = (ws.db.prepare("SELECT line FROM job_logs WHERE job_id = ? AND level = 'warn'").all(done.id) as { line: string }[]).map((r) => r.line);
      expect(warnings.filter((l) => l.startsWith('Skipped sample '))).toEqual(
        expect.arrayContaining([expect.stringMatching(/^Skipped sample train\/a\/broken\.png: Cannot decode image .*broken\.png/), expect.stringMatching(/^Skipped sample test\/b\/broken\.png: /)]),
      );
      // Named once each, however many epochs met them.
      expect(warnings.filter((l) => l.startsWith('Skipped sample '))).toHaveLength(2);
    } finally {
      await jobs.close();
      ws.close();
      t.cleanup();
    }
  });
});
