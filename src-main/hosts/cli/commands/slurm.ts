import { readJsonFile } from '../json-file.ts';
import type { SlurmProfile } from '../../../common/contract/index.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { formatTable } from '../format.ts';

interface SetOptions {
  partition?: string;
  time?: string;
  cpus?: string;
  mem?: string;
  gpus?: string;
  account?: string;
  qos?: string;
  extra?: string[];
  jobRoot?: string;
  localPath?: string[];
  signalSeconds?: string;
  requeue?: boolean;
  binDir?: string;
  json?: string;
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`${flag}: "${value}" is not a whole number.`);
  return n;
}

function profileText(p: SlurmProfile): string {
  return [
    `profile    ${p.name}`,
    `partition  ${p.partition ?? '(cluster default)'}`,
    `time       ${p.timeLimit}`,
    `cpus       ${p.cpus}`,
    `memory     ${p.memory ?? '(cluster default)'}`,
    `gpus       ${p.gpus}`,
    `account    ${p.account ?? '-'}`,
    `qos        ${p.qos ?? '-'}`,
    `extra      ${p.extraArgs.join(' ') || '-'}`,
    `jobRoot    ${p.jobRoot ?? '(the workspace job folders)'}`,
    `localPaths ${p.localPaths.length ? p.localPaths.join(', ') : '-'}`,
    `signal     USR2 ${p.signalSeconds} s before the limit`,
    `requeue    ${p.requeue ? 'yes' : 'no'}`,
    `binDir     ${p.binDir ?? '(PATH)'}`,
  ].join('\n');
}

/** `workbench slurm profile list | show | set | remove`: the Slurm profiles jobs run with (`--on slurm:<name>`). */
export const registerSlurmCommands: RegisterCommands = (program, runtime) => {
  const slurm = program.command('slurm').description('Running jobs on a Slurm cluster (see README: "Running on a Slurm cluster").');
  const profile = slurm.command('profile').description('Slurm profiles: the resources a job asks for, picked with --on slurm:<name>.');
  profile
    .command('list')
    .description('The stored profiles.')
    .action(async () => {
      const rt = await runtime();
      const list = await rt.call('slurm.profiles.list', {});
      rt.output(list, () =>
        list.length === 0
          ? 'No Slurm profiles yet (add one with `workbench slurm profile set <name> --time 2:00:00 ...`).'
          : formatTable(
              ['name', 'partition', 'time', 'cpus', 'mem', 'gpus', 'account'],
              list.map((p) => [p.name, p.partition ?? '(default)', p.timeLimit, String(p.cpus), p.memory ?? '-', String(p.gpus), p.account ?? '-']),
            ),
      );
    });
  profile
    .command('show <name>')
    .description('One profile with every field.')
    .action(async (name: string) => {
      const rt = await runtime();
      const found = (await rt.call('slurm.profiles.list', {})).find((p) => p.name === name);
      if (!found) throw new Error(`There is no Slurm profile "${name}" (see \`workbench slurm profile list\`).`);
      rt.output(found, () => profileText(found));
    });
  profile
    .command('set <name>')
    .description('Add a profile, or change the given fields of an existing one.')
    .option('--partition <name>', 'sbatch --partition (default: the cluster default)')
    .option('--time <limit>', 'time limit in Slurm form: "90" (minutes), "2:00:00", "1-12:00:00"')
    .option('--cpus <n>', 'CPUs per job (--cpus-per-task)')
    .option('--mem <size>', 'memory per node, e.g. 16G')
    .option('--gpus <n>', 'GPUs per job (--gres=gpu:N)')
    .option('--account <name>', 'sbatch --account')
    .option('--qos <name>', 'sbatch --qos')
    .option('--extra <option...>', 'further sbatch options, e.g. --extra=--constraint=a100')
    .option('--job-root <dir>', 'folder on shared storage for job folders when the workspace is not on shared storage')
    .option('--local-path <dir...>', "folders on this machine's own storage that the nodes do not see (e.g. where the workspace is)")
    .option('--signal-seconds <n>', 'seconds before the limit the job is told to save and stop (USR2)')
    .option('--requeue', 'let Slurm requeue the job itself after a node failure or preemption')
    .option('--bin-dir <dir>', 'folder holding sbatch, squeue, scancel when they are not on PATH')
    .option('--json <file>', 'read the profile fields from a JSON file (flags override them)')
    .action(async (name: string, opts: SetOptions) => {
      const rt = await runtime();
      const existing = (await rt.call('slurm.profiles.list', {})).find((p) => p.name === name);
      let fromFile: Record<string, unknown> = {};
      if (opts.json) {
        fromFile = readJsonFile('--json', opts.json) as Record<string, unknown>;
      }
      const given = Object.fromEntries(
        Object.entries({
          partition: opts.partition,
          timeLimit: opts.time,
          cpus: number('--cpus', opts.cpus),
          memory: opts.mem,
          gpus: number('--gpus', opts.gpus),
          account: opts.account,
          qos: opts.qos,
          extraArgs: opts.extra,
          jobRoot: opts.jobRoot,
          localPaths: opts.localPath,
          signalSeconds: number('--signal-seconds', opts.signalSeconds),
          requeue: opts.requeue,
          binDir: opts.binDir,
        }).filter(([, v]) => v !== undefined),
      );
      const saved = await rt.call('slurm.profiles.set', { profile: { ...existing, ...fromFile, ...given, name } });
      rt.output(saved, () => `${existing ? 'Changed' : 'Added'} Slurm profile "${saved.name}".\n${profileText(saved)}`);
    });
  profile
    .command('remove <name>')
    .description('Remove a profile (jobs that ran with it keep their record).')
    .action(async (name: string) => {
      const rt = await runtime();
      const { removed } = await rt.call('slurm.profiles.remove', { name });
      rt.output({ removed }, () => (removed ? `Removed Slurm profile "${name}".` : `There was no Slurm profile "${name}".`));
    });
};
