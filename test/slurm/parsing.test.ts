/**
 * The pure parts of the Slurm module, as tables: durations, the profile's
 * refusals naming their field, squeue lines, end causes, the shared-storage
 * check, and the #SBATCH quoting of awkward paths.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { slurmJobFiles } from '../../src-main/slurm/job-folder.ts';
import { endCause, viewOf, type SlurmEndState } from '../../src-main/slurm/job-state.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { parseSlurmDuration, slurmProfileSchema } from '../../src-main/slurm/profile.ts';
import { expandArrayTasks, parseSqueue } from '../../src-main/slurm/queue.ts';
import { sbatchDirectives } from '../../src-main/slurm/script.ts';
import { checkJobFoldersVisible } from '../../src-main/slurm/submit.ts';

describe('Slurm durations', () => {
  it.each([
    ['90', 5400],
    ['1:30', 90],
    ['2:00:00', 7200],
    ['1-12', 129600],
    ['1-0:30', 88200],
    ['1-02:03:04', 93784],
    ['UNLIMITED', null],
    ['1:2:3:4', null],
    ['', null],
  ])('%s is %s seconds', (text, seconds) => {
    expect(parseSlurmDuration(text)).toBe(seconds);
  });
});

describe('Slurm profile', () => {
  const base = { name: 'lab', timeLimit: '2:00:00' };
  it('fills the defaults', () => {
    expect(slurmProfileSchema.parse(base)).toEqual({ ...base, cpus: 1, gpus: 0, extraArgs: [], localPaths: [], signalSeconds: 90, requeue: false });
  });
  it.each([
    [{ timeLimit: 'two hours' }, 'timeLimit'],
    [{ timeLimit: '1', signalSeconds: 60 }, 'signalSeconds'],
    [{ partition: 'gpu big' }, 'partition'],
    [{ memory: '16 GB' }, 'memory'],
    [{ extraArgs: ['--exclusive', '--output=/x'] }, 'extraArgs.1'],
    [{ extraArgs: ['exclusive'] }, 'extraArgs.0'],
    [{ jobRoot: 'shared/jobs' }, 'jobRoot'],
    [{ localPaths: ['/home/me', 'data'] }, 'localPaths.1'],
    [{ name: 'a b' }, 'name'],
  ])('refuses %j naming %s', (change, field) => {
    const result = slurmProfileSchema.safeParse({ ...base, ...change });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join('.')).toBe(field);
  });
});

describe('squeue lines', () => {
  it('expands array members that have not started, and keeps the rest as they are', () => {
    const rows = parseSqueue(['12_[1-3%1]|PENDING|JobArrayTaskLimit||0:00|1:00', '12_0|RUNNING|None|node7|1-00:00:05|UNLIMITED', ''].join('\n'));
    expect(rows).toEqual([
      ...[1, 2, 3].map((i) => ({ id: `12_${i}`, state: 'PENDING', reason: 'JobArrayTaskLimit', node: null, elapsedSeconds: 0, limitSeconds: 60 })),
      { id: '12_0', state: 'RUNNING', reason: null, node: 'node7', elapsedSeconds: 86405, limitSeconds: null },
    ]);
    expect(expandArrayTasks('0,4-8:2%3')).toEqual([0, 4, 6, 8]);
  });
});

describe('why a Slurm job ended', () => {
  const end = (over: Partial<SlurmEndState>): SlurmEndState => ({ attempt: 0, slurmJobId: '5', node: 'n1', exitCode: 0, signals: [], finishedAt: '', ...over });
  const slurm = (state: string, exitCode: number | null = null, reason: string | null = null, exitSignal: number | null = null) => ({ state, exitCode, reason, exitSignal });
  it.each([
    ['exit 0', end({}), null, true, 'completed'],
    ['exit 1', end({ exitCode: 1 }), slurm('FAILED', 1), true, 'failed'],
    ['time-limit warning handled', end({ signals: ['USR2'] }), slurm('COMPLETED', 0), true, 'interrupted'],
    ['killed at the limit', end({ exitCode: 143, signals: ['TERM'] }), slurm('TIMEOUT', 143), true, 'interrupted'],
    ['scancel, Slurm still knows', end({ signals: ['TERM'] }), slurm('CANCELLED'), true, 'cancelled'],
    ['scancel before the start', null, slurm('CANCELLED'), false, 'cancelled'],
    ['node failure', null, slurm('NODE_FAIL'), true, 'interrupted'],
    ['out of memory', null, slurm('OUT_OF_MEMORY', 0), true, 'failed'],
    ['probe token missing', null, slurm('FAILED', 97), false, 'not-visible'],
    ['output folder missing on the node', null, slurm('FAILED', 0, 'JobLaunchFailure'), false, 'not-visible'],
    // Measured: a USR2 sent as the batch shell starts gives FAILED, JobLaunchFailure, ExitCode=0:12.
    ['time-limit warning as the job started', null, slurm('FAILED', 0, 'JobLaunchFailure', 12), false, 'interrupted'],
    ['cancelled as the job started', null, slurm('CANCELLED', 0, 'JobLaunchFailure', 15), false, 'cancelled'],
    ['started, then forgotten without an end state', null, null, true, 'interrupted'],
    ['never started, forgotten', null, null, false, 'lost'],
  ] as const)('%s: %s', (_name, endState, slurmState, started, cause) => {
    const result = endCause('5', endState, slurmState, started, '/shared/jobs/5');
    expect(result.cause).toBe(cause);
    expect(result.message).toMatch(/5/);
  });
});

describe('a job Slurm shows as COMPLETING', () => {
  it('is still running: COMPLETING hides whether it was cancelled (measured: COMPLETING for seconds, then CANCELLED)', () => {
    const { dir, cleanup } = tempDir('wb-slurm-view-');
    try {
      const files = slurmJobFiles(dir);
      mkdirSync(files.dir, { recursive: true });
      writeFileSync(files.end, JSON.stringify({ attempt: 0, slurmJobId: '9', node: 'n1', exitCode: 0, signals: ['TERM'], finishedAt: '' }));
      const row = (state: string) => ({ id: '9', state, reason: null, node: 'n1', elapsedSeconds: 5, limitSeconds: 60 });
      expect(viewOf('9', files, row('COMPLETING'), null)).toMatchObject({ phase: 'running', slurmState: 'COMPLETING' });
      expect(viewOf('9', files, row('CANCELLED'), null)).toMatchObject({ phase: 'ended', cause: 'cancelled' });
    } finally {
      cleanup();
    }
  });
});

describe('job folders the nodes cannot see', () => {
  const other = { name: 'gpu', hosts: ['node01', 'node02'] };
  it.each([
    [other, '/tmp/ws/jobs/1', 'login', 'profile.jobRoot'],
    [other, '/dev/shm/jobs/1', 'login', 'profile.jobRoot'],
    [other, '/home/lab/ws/jobs/1', 'login', null],
    [{ name: 'debug', hosts: ['login'] }, '/tmp/ws/jobs/1', 'login.cluster.org', null],
    // Folders the profile lists as this machine's own count on any cluster, a single-machine one too.
    [{ name: 'debug', hosts: ['login'] }, '/home/me/ws/jobs/1', 'login', 'profile.jobRoot', ['/home/me']],
    [{ name: 'debug', hosts: ['login'] }, '/home/me-too/ws/jobs/1', 'login', null, ['/home/me']],
  ])('%j with %s from %s: %s', (partition, dir, here, field, localPaths: string[] = []) => {
    let error: unknown = null;
    try {
      checkJobFoldersVisible(partition, [dir], here, localPaths);
    } catch (err) {
      error = err;
    }
    if (field === null) return expect(error).toBeNull();
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).field).toBe(field);
    expect((error as ApiError).message).toMatch(localPaths.length ? /under \/home\/me, which the profile lists as this machine's own storage/ : /node01, node02/);
  });
});

describe('#SBATCH directives', () => {
  it('quote paths with spaces, double a path\'s own %, and quote option values', () => {
    const profile = slurmProfileSchema.parse({ name: 'p', timeLimit: '10', gpus: 2, extraArgs: ['--comment=two words', '--exclusive'] });
    const d = sbatchDirectives(profile, { name: 'wb 1: train!', jobDirs: ['/data/my ws 100%/jobs/1'], command: ['node'], probeToken: 'x' });
    expect(d).toEqual([
      '--job-name=wb-1-train-',
      '--output="/data/my ws 100%%/jobs/1/slurm/output.log"',
      '--open-mode=append',
      '--chdir="/data/my ws 100%/jobs/1/slurm"',
      '--signal=B:USR2@90',
      '--no-requeue',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=1',
      '--time=10',
      '--gres=gpu:2',
      '--comment="two words"',
      '--exclusive',
    ]);
    expect(() => sbatchDirectives(profile, { name: 'x', jobDirs: ['/a"b'], command: ['node'], probeToken: 'x' })).toThrow(/double quote/);
  });
});
