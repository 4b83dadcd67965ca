/**
 * JobManager.close() releases the workspace: once it has returned, nothing a job process still
 * delivers is applied. Here a real job process leaves a child holding its stdout and stderr pipes,
 * so output arrives after the job process was killed, close() returned and the workspace closed;
 * before, that output was written into the closed database from a stream listener (an uncaught
 * error in the host).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { forkedJobHandle } from '../../src-main/core/jobs/fork-launcher.ts';
import type { JobProcessLauncher } from '../../src-main/core/jobs/protocol.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

const LATE_MS = 1500;
const fixture = path.join(import.meta.dirname, 'fixtures', 'late-output-job.mjs');

const lateOutputLauncher: JobProcessLauncher = (env) =>
  forkedJobHandle(fork(fixture, [], { env: { ...process.env, ...env, LATE_OUTPUT_MS: String(LATE_MS) }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));

describe('JobManager.close', () => {
  it('applies nothing a job process delivers after it returned (output after the kill, workspace closed)', async () => {
    const t = tempDir();
    const uncaught: Error[] = [];
    const onUncaught = (error: Error): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const ws = Workspace.open(t.dir);
      const events = new EventBus();
      const jobs = new JobManager(ws, events, { specs: jobSpecs, launcher: lateOutputLauncher, cancelGraceSeconds: 5 });
      const lines: string[] = [];
      events.on('job.log', (e) => void lines.push(e.line));
      const id = jobs.submit('workspace.verify', {}).id;
      await new Promise<void>((resolve) => {
        const off = events.on('job.progress', (e) => {
          if (e.id === id) {
            off();
            resolve();
          }
        });
      });
      await jobs.close();
      expect(jobs.summary(id).status).toBe('interrupted');
      ws.close();
      // The child left behind writes now, into pipes the manager still listens to.
      await new Promise((resolve) => setTimeout(resolve, LATE_MS + 1000));
      expect(uncaught).toEqual([]);
      expect(lines).toEqual([]);
      // The workspace as close() left it: the job interrupted, no line logged after it.
      const again = Workspace.open(t.dir);
      try {
        expect((again.db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status).toBe('interrupted');
        expect(again.db.prepare("SELECT line FROM job_logs WHERE job_id = ? AND line LIKE 'late%'").all(id)).toEqual([]);
      } finally {
        again.close();
      }
    } finally {
      process.off('uncaughtException', onUncaught);
      t.cleanup();
    }
  }, 30_000);
});
