/**
 * Runs Slurm's own client commands (sbatch, squeue, scontrol, scancel, sinfo):
 * they are the whole interface to the cluster, whichever Slurm version and
 * site configuration it has. Arguments go as an argv array, never through a shell.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/contract/errors.ts';

export type SlurmCommand = 'sbatch' | 'squeue' | 'scontrol' | 'scancel' | 'sinfo';

/** Where the commands are looked for: the profile's binDir, else PATH. */
export interface SlurmTools {
  binDir?: string | undefined;
}

/** Full path of a Slurm command, or null when it is not there (hand-written: `which` is not on every node image). */
export function findSlurmCommand(name: SlurmCommand, tools: SlurmTools = {}): string | null {
  const dirs = tools.binDir ? [tools.binDir] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this folder; try the next.
    }
  }
  return null;
}

/** The error every caller shows when the commands are missing, naming the setting that fixes it. */
export function missingCommandError(name: SlurmCommand, tools: SlurmTools = {}): ApiError {
  const where = tools.binDir ? `in the profile's binDir (${tools.binDir})` : 'on PATH';
  return new ApiError(
    'invalid_request',
    `Slurm's ${name} was not found ${where}: run the workbench on a machine with Slurm's client commands (the cluster's login node), or set the profile's binDir to the folder holding them.`,
    'profile.binDir',
  );
}

/** A Slurm command that ran and failed: its own message is kept for the user. */
export class SlurmCommandError extends Error {
  constructor(
    readonly command: SlurmCommand,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} ${args.join(' ')} failed${exitCode === null ? '' : ` (exit code ${exitCode})`}: ${stderr.trim() || 'no message'}`);
    this.name = 'SlurmCommandError';
  }
}

/**
 * Runs one command and returns its stdout. Slurm's commands wait for slurmctld
 * (MessageTimeout, 10 s by default, retried); 60 s is past that.
 */
export function runSlurm(name: SlurmCommand, args: readonly string[], tools: SlurmTools = {}, timeoutMs = 60_000): Promise<string> {
  const file = findSlurmCommand(name, tools);
  if (!file) return Promise.reject(missingCommandError(name, tools));
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = typeof err.code === 'number' ? err.code : null;
      const text = err.killed ? `no answer within ${timeoutMs / 1000} s (is slurmctld running? try 'scontrol ping')` : stderr || err.message;
      reject(new SlurmCommandError(name, args, code, text));
    });
  });
}
