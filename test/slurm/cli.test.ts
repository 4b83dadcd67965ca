/**
 * The CLI's Slurm surface through the real `workbench` command: profiles
 * (`slurm profile set|list|show|remove`), `--on` on a job command with its
 * refusals, and a job run on the real cluster with `--on slurm` (that one is
 * skipped with the reason without a cluster, failing under CI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkbench } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { slurmMissingReason } from './cluster.ts';

const missing = slurmMissingReason();
if (missing && process.env.CI) throw new Error(`the Slurm cluster is required under CI: ${missing}`);

describe('workbench slurm profile and --on', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir('wb-cli-slurm-')));
  afterAll(() => cleanup?.());
  const wb = (...args: string[]) => runWorkbench(['--workspace', dir, ...args]);

  it('set, change, list, show and remove a profile; a bad field is named', async () => {
    const set = await wb('--json', 'slurm', 'profile', 'set', 'lab', '--partition', 'debug', '--time', '5', '--mem', '600M', '--extra=--exclusive');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ name: 'lab', partition: 'debug', timeLimit: '5', memory: '600M', extraArgs: ['--exclusive'], cpus: 1 });
    const changed = await wb('--json', 'slurm', 'profile', 'set', 'lab', '--cpus', '2');
    expect(JSON.parse(changed.stdout)).toMatchObject({ name: 'lab', partition: 'debug', cpus: 2 });
    const list = JSON.parse((await wb('--json', 'slurm', 'profile', 'list')).stdout) as { name: string }[];
    expect(list.map((p) => p.name)).toEqual(['lab']);
    expect((await wb('slurm', 'profile', 'show', 'lab')).stdout).toMatch(/partition\s+debug/);

    const bad = await wb('slurm', 'profile', 'set', 'x', '--time', 'soon');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/profile\.timeLimit/);
    const reserved = await wb('slurm', 'profile', 'set', 'y', '--time', '5', '--extra=--array=0-3');
    expect(reserved.stderr).toMatch(/profile\.extraArgs\.0.*--array is set by the workbench/);

    expect(JSON.parse((await wb('--json', 'slurm', 'profile', 'remove', 'lab')).stdout)).toEqual({ removed: true });
    expect(JSON.parse((await wb('--json', 'slurm', 'profile', 'list')).stdout)).toEqual([]);
  }, 60_000);

  it('--on refusals name what is wrong before anything is queued', async () => {
    const unknown = await wb('workspace', 'verify', '--on', 'slurm:nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no Slurm profile "nope".*runOn\.slurm/);
    const none = await wb('workspace', 'verify', '--on', 'slurm');
    expect(none.stderr).toMatch(/--on slurm: there is no Slurm profile yet/);
    const where = await wb('workspace', 'verify', '--on', 'mars');
    expect(where.stderr).toMatch(/--on: "mars" is not a place to run/);
    await wb('slurm', 'profile', 'set', 'a', '--time', '5');
    await wb('slurm', 'profile', 'set', 'b', '--time', '5');
    const several = await wb('workspace', 'verify', '--on', 'slurm');
    expect(several.stderr).toMatch(/several Slurm profiles \(a, b\)/);
    expect(JSON.parse((await wb('--json', 'jobs', 'list')).stdout)).toEqual([]);
    await wb('slurm', 'profile', 'remove', 'a');
    await wb('slurm', 'profile', 'remove', 'b');
  }, 60_000);

  it.skipIf(missing !== null)('a job command with --on slurm runs on the cluster; jobs list and show carry the Slurm job', async () => {
    await wb('slurm', 'profile', 'set', 'lab', '--partition', 'debug', '--time', '5', '--mem', '600M');
    const run = await wb('--json', 'workspace', 'verify', '--on', 'slurm');
    expect(run.code, run.stderr).toBe(0);
    const jobs = JSON.parse((await wb('--json', 'jobs', 'list')).stdout) as { id: number; status: string; runOn: unknown; slurm: { slurmJobId: string; node: string } }[];
    expect(jobs[0]).toMatchObject({ status: 'succeeded', runOn: { slurm: 'lab' }, slurm: { node: 'vm' } });
    const show = await wb('jobs', 'show', String(jobs[0]!.id));
    expect(show.stdout).toMatch(new RegExp(`runs on: +slurm:lab ${jobs[0]!.slurm.slurmJobId} ended`));
    expect((await wb('jobs', 'list')).stdout).toMatch(/slurm:lab \d+ ended/);
  }, 90_000);
});
