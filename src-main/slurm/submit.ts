/**
 * Submission: checks that fail early with a message naming the setting (no
 * sbatch, an unknown partition, job folders the nodes cannot see), then the
 * probe token and script in the job folders, then `sbatch --parsable`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../common/contract/errors.ts';
import { findSlurmCommand, missingCommandError, runSlurm, SlurmCommandError, type SlurmCommand, type SlurmTools } from './commands.ts';
import { slurmJobFiles } from './job-folder.ts';
import { localPathReason } from './job-root.ts';
import type { SlurmProfile } from './profile.ts';
import { renderBatchScript, sbatchDirectives, type BatchJobSpec } from './script.ts';

/** The partitions and their nodes' host names, from sinfo. */
export async function readPartitions(tools: SlurmTools = {}): Promise<{ name: string; isDefault: boolean; hosts: string[] }[]> {
  const text = await runSlurm('sinfo', ['--noheader', '--Node', '--format=%P|%n'], tools);
  const parts = new Map<string, { name: string; isDefault: boolean; hosts: string[] }>();
  for (const line of text.split('\n')) {
    const [raw = '', host = ''] = line.trim().split('|');
    if (!raw) continue;
    const name = raw.replace(/\*$/, '');
    const entry = parts.get(name) ?? { name, isDefault: raw.endsWith('*'), hosts: [] };
    if (host && !entry.hosts.includes(host)) entry.hosts.push(host);
    parts.set(name, entry);
  }
  return [...parts.values()];
}

// statfs magic numbers of file systems that live in this machine's memory.
const MEMORY_FS = new Map([
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
]);
const MACHINE_LOCAL_PREFIXES = ['/tmp/', '/var/tmp/', '/dev/shm/', '/run/'];

/** Why a folder is certainly not shared with other machines, or null when it may be (the node's probe decides). */
export function notSharedReason(dir: string): string | null {
  const resolved = path.resolve(dir) + '/';
  const prefix = MACHINE_LOCAL_PREFIXES.find((p) => resolved.startsWith(p));
  if (prefix) return `it is under ${prefix.slice(0, -1)}, which every machine has for itself`;
  try {
    const fs = MEMORY_FS.get(Number(statfsSync(dir).type));
    if (fs) return `it is on ${fs}, in this machine's memory`;
  } catch {
    // Not there yet: the folder itself is checked when it is made.
  }
  return null;
}

/**
 * Checks before anything is written: the commands exist, the partition does,
 * and the job folders are not on storage only this machine has while the
 * partition's nodes are other machines. What cannot be seen from here (a folder
 * of the same name on the node's own disk) the node's probe catches.
 */
export async function preflightSubmission(profile: SlurmProfile, jobDirs: readonly string[], tools: SlurmTools = { binDir: profile.binDir }): Promise<void> {
  for (const name of ['sbatch', 'squeue', 'scancel', 'sinfo'] satisfies SlurmCommand[]) {
    if (!findSlurmCommand(name, tools)) throw missingCommandError(name, tools);
  }
  const partitions = await readPartitions(tools);
  const known = partitions.map((p) => p.name).join(', ') || 'none';
  const partition = profile.partition ? partitions.find((p) => p.name === profile.partition) : partitions.find((p) => p.isDefault);
  if (!partition) {
    throw new ApiError(
      'invalid_request',
      profile.partition
        ? `Slurm has no partition "${profile.partition}" (sinfo lists: ${known}); set the profile's partition to one of them.`
        : `The cluster has no default partition; set the profile's partition (sinfo lists: ${known}).`,
      'profile.partition',
    );
  }
  checkJobFoldersVisible(partition, jobDirs, undefined, profile.localPaths);
}

/**
 * Refuses job folders on storage only this machine has when the partition's
 * nodes are other machines; a single-machine cluster sees every folder.
 */
export function checkJobFoldersVisible(partition: { name: string; hosts: string[] }, jobDirs: readonly string[], here = os.hostname(), localPaths: readonly string[] = []): void {
  // Folders the profile names as this machine's own: on any cluster, a single-machine one included.
  for (const dir of jobDirs) {
    const why = localPathReason(dir, { localPaths: [...localPaths] });
    if (why) {
      throw new ApiError('invalid_request', `The job folder ${dir} cannot be seen from partition ${partition.name}'s nodes: ${why}. Set the profile's jobRoot to a folder on storage the nodes share.`, 'profile.jobRoot');
    }
  }
  const short = (h: string) => h.split('.')[0];
  const elsewhere = partition.hosts.filter((h) => short(h) !== short(here) && h !== 'localhost');
  if (elsewhere.length === 0) return;
  for (const dir of jobDirs) {
    const why = notSharedReason(dir);
    if (why) {
      const nodes = elsewhere.slice(0, 3).join(', ') + (elsewhere.length > 3 ? ', ...' : '');
      throw new ApiError(
        'invalid_request',
        `The job folder ${dir} cannot be seen from partition ${partition.name}'s nodes (${nodes}): ${why}. Set the profile's jobRoot to a folder on storage the nodes share.`,
        'profile.jobRoot',
      );
    }
  }
}

// sbatch's refusals and the profile field each one is about.
const SBATCH_ERRORS: [RegExp, string][] = [
  [/invalid partition/i, 'profile.partition'],
  [/invalid account/i, 'profile.account'],
  [/invalid qos/i, 'profile.qos'],
  [/gres|generic resource/i, 'profile.gpus'],
  [/time limit/i, 'profile.timeLimit'],
  [/memory/i, 'profile.memory'],
  [/cpus|processors/i, 'profile.cpus'],
];

function sbatchError(err: SlurmCommandError): ApiError {
  const said = err.stderr.replace(/^sbatch: error: /gm, '').trim().split('\n').join(' ');
  const field = SBATCH_ERRORS.find(([re]) => re.test(said))?.[1] ?? 'profile';
  return new ApiError('invalid_request', `Slurm refused the job: ${said}`, field);
}

export interface SubmitOptions {
  /** Submitted held (`--hold`): pending with reason JobHeldUser until `scontrol release`. */
  hold?: boolean;
  /** Not before this time (`--begin`, e.g. "now+1hour"). */
  begin?: string;
  tools?: SlurmTools;
}

export interface SubmittedJob {
  /** The id sbatch printed: the job, or the whole array. */
  slurmJobId: string;
  /** One id per job folder: the job's own id, or "<array>_<i>" for member i. */
  memberIds: string[];
  /** Where the rendered script was written. */
  script: string;
}

/**
 * Writes each member's probe and channel files and the script, and submits.
 * The caller has written each member's start message (host-channel.ts) first.
 * If sbatch refuses, the files written here are removed again.
 */
export async function submitBatchJob(profile: SlurmProfile, spec: Omit<BatchJobSpec, 'probeToken'>, options: SubmitOptions = {}): Promise<SubmittedJob> {
  const tools = options.tools ?? { binDir: profile.binDir };
  for (const dir of spec.jobDirs) {
    if (!path.isAbsolute(dir)) throw new ApiError('invalid_request', `The job folder ${dir} must be an absolute path.`, 'jobDirs');
  }
  await preflightSubmission(profile, spec.jobDirs, tools);
  const probeToken = randomBytes(12).toString('hex');
  const full: BatchJobSpec = { ...spec, probeToken };
  // Rendering first: a bad value is refused before anything is written.
  const script = renderBatchScript(profile, full);
  const files = spec.jobDirs.map(slurmJobFiles);
  const written: string[] = [];
  try {
    for (const f of files) {
      mkdirSync(f.dir, { recursive: true });
      writeFileSync(f.probe, probeToken);
      written.push(f.probe);
      // Both journals exist before the job starts: readers on NFS then never
      // wait on a cached "no such file".
      for (const journal of [f.toJob, f.fromJob]) closeSync(openSync(journal, 'a'));
    }
    writeFileSync(files[0]!.script, script);
    chmodSync(files[0]!.script, 0o755);
    written.push(files[0]!.script);
    const args = ['--parsable'];
    if (options.hold) args.push('--hold');
    if (options.begin) args.push(`--begin=${options.begin}`);
    args.push(files[0]!.script);
    let out: string;
    try {
      out = await runSlurm('sbatch', args, tools);
    } catch (err) {
      throw err instanceof SlurmCommandError ? sbatchError(err) : err;
    }
    // --parsable prints "id" or "id;cluster".
    const slurmJobId = out.trim().split(';')[0]!;
    if (!/^\d+$/.test(slurmJobId)) throw new ApiError('failed', `sbatch printed "${out.trim()}" instead of a job id.`);
    const isArray = spec.array !== undefined || spec.jobDirs.length > 1;
    const memberIds = isArray ? spec.jobDirs.map((_, i) => `${slurmJobId}_${i}`) : [slurmJobId];
    const submittedAt = new Date().toISOString();
    const directives = sbatchDirectives(profile, full);
    files.forEach((f, i) => {
      writeFileSync(f.submitted, JSON.stringify({ slurmJobId: memberIds[i], arrayJobId: isArray ? slurmJobId : null, submittedAt, script: files[0]!.script, directives }, null, 2));
    });
    return { slurmJobId, memberIds, script: files[0]!.script };
  } catch (err) {
    for (const file of written) if (existsSync(file)) rmSync(file);
    throw err;
  }
}

/** Lets a job submitted with `hold` run. */
export async function releaseJob(slurmJobId: string, tools: SlurmTools = {}): Promise<void> {
  await runSlurm('scontrol', ['release', slurmJobId], tools);
}

/**
 * Cancels a job or array member with scancel (running ones get SIGTERM, then
 * SIGKILL after Slurm's KillWait). `signal` sends that signal to the batch
 * shell instead (e.g. USR2: "save a checkpoint and stop", the time-limit
 * path). Returns false when Slurm no longer had the job to cancel.
 */
export async function cancelJob(slurmJobId: string, options: { signal?: 'USR2' | 'TERM'; tools?: SlurmTools } = {}): Promise<boolean> {
  const args = options.signal ? ['--batch', `--signal=${options.signal}`, slurmJobId] : [slurmJobId];
  try {
    await runSlurm('scancel', args, options.tools ?? {});
    return true;
  } catch (err) {
    if (err instanceof SlurmCommandError && /Invalid job id|already completing or completed|Job\/step already/i.test(err.stderr)) return false;
    throw err;
  }
}
