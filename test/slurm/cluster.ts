/**
 * Shared pieces of the tests that run against the real Slurm cluster that
 * .ci/slurm-up.sh starts: whether there is one, a test profile, job folders
 * with their start message, the workload command, and a bounded wait.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSlurmCommand } from '../../src-main/slurm/commands.ts';
import { HostChannel } from '../../src-main/slurm/host-channel.ts';
import { slurmProfileSchema, type SlurmProfile, type SlurmProfileInput } from '../../src-main/slurm/profile.ts';

/** Why the cluster tests cannot run here, or null when they can. Under CI a missing cluster is a failure. */
export function slurmMissingReason(): string | null {
  if (!findSlurmCommand('sbatch')) return 'sbatch is not on PATH (run .ci/slurm-up.sh as root to start a single-node cluster)';
  try {
    execFileSync('sinfo', ['--noheader'], { stdio: 'pipe', timeout: 15_000 });
  } catch (err) {
    return `sinfo fails, the cluster is not running (run .ci/slurm-up.sh): ${(err as Error).message.split('\n')[0]}`;
  }
  return null;
}

export function testProfile(overrides: Partial<SlurmProfileInput> = {}): SlurmProfile {
  // Small enough that jobs never wait for memory on the test cluster.
  return slurmProfileSchema.parse({ name: 'test', timeLimit: '5', cpus: 1, memory: '300M', signalSeconds: 30, ...overrides });
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** node + tsx + the test workload, by absolute paths: the job runs in its job folder, not here. */
export function workloadCommand(): string[] {
  const tsx = path.resolve(here, '../../node_modules/tsx/dist/loader.mjs');
  return [process.execPath, '--import', `file://${tsx}`, path.join(here, 'fixtures', 'workload.ts')];
}

/** A job folder with its channel and start message, as a launcher would prepare it. */
export function prepareJob(root: string, jobId: number, params: Record<string, unknown>): { jobDir: string; host: HostChannel } {
  const jobDir = path.join(root, 'jobs', String(jobId));
  mkdirSync(jobDir, { recursive: true });
  const host = HostChannel.create(jobDir, { type: 'start', jobId, kind: 'slurm-test', params, workspaceDir: root, jobDir, resume: null });
  return { jobDir, host };
}

/** Polls `read` until it returns a value; fails naming what it waited for and the last thing seen. */
export async function waitUntil<T>(read: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs: number, describe?: () => unknown): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${describe ? `; last seen: ${JSON.stringify(describe())}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
