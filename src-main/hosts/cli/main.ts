import { Command, CommanderError } from 'commander';
import type { CliRuntime, RegisterCommands } from './cli-types.ts';
import { createRuntime } from './runtime.ts';
import { CliError, errorDocument } from './cli-errors.ts';
import type { WorkbenchCore } from '../../app/open-core.ts';
import { registerCoreCommands } from './commands/core.ts';
import { registerEngineCommands } from './commands/engine.ts';
import { registerDatasetsCommands } from './commands/datasets.ts';
import { registerAugmentCommands } from './commands/augment.ts';
import { registerModelsCommands } from './commands/models.ts';
import { registerExportCommands } from './commands/export.ts';
import { registerSpganCommands } from './commands/spgan.ts';
import { registerReidCommands } from './commands/reid.ts';
import { registerPruneCommands } from './commands/prune.ts';
import { registerLocalizeCommands } from './commands/localize.ts';
import { registerAdaptCommands } from './commands/adapt.ts';
import { registerSlurmCommands } from './commands/slurm.ts';
import { registerReproduceCommands } from './commands/reproduce.ts';
import { registerRunsCommands } from './commands/runs.ts';

const registrations: RegisterCommands[] = [
  registerCoreCommands,
  registerEngineCommands,
  registerDatasetsCommands,
  registerAugmentCommands,
  registerModelsCommands,
  // After models: it adds export/compare/latency/import under `models`.
  registerExportCommands,
  registerPruneCommands,
  registerSpganCommands,
  registerReidCommands,
  registerLocalizeCommands,
  registerAdaptCommands,
  registerSlurmCommands,
  registerReproduceCommands,
  registerRunsCommands,
];

/** The whole command tree; `runtime` opens the workspace the first time a command needs it. */
export function buildProgram(runtime: () => Promise<CliRuntime>): Command {
  const program = new Command('workbench')
    .description('Pruning & Re-ID Workbench: datasets, augmentations, training, pruning, SPGAN and re-ID from the command line.')
    .option('--workspace <dir>', 'workspace folder (default: the user data folder, or $WORKBENCH_WORKSPACE)')
    .option('--json', 'print one machine-readable JSON document on stdout')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of registrations) register(program, runtime);
  return program;
}

/** Runs the CLI; resolves with the exit code. Errors become one line on stderr, never a stack trace. */
export async function runCli(argv: string[]): Promise<number> {
  let opened: { runtime: CliRuntime; core: WorkbenchCore | null } | null = null;
  const runtime = async (): Promise<CliRuntime> => {
    if (!opened) {
      const opts = program.opts<{ workspace?: string; json?: boolean }>();
      opened = createRuntime({ workspace: opts.workspace, json: Boolean(opts.json) });
    }
    return opened.runtime;
  };
  const program = buildProgram(runtime);
  // Subcommands inherit exitOverride so errors come back here instead of exiting.
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // Under --json every failure also prints one JSON error document on stdout (the line stays on stderr).
    const json = argv.includes('--json');
    if (err instanceof CommanderError) {
      const ok = err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      if (!ok && json) process.stdout.write(JSON.stringify(errorDocument(err.message.replace(/^error: /, ''))) + '\n');
      return ok ? 0 : 2;
    }
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    process.stderr.write(`workbench: ${message}\n`);
    if (json) process.stdout.write(JSON.stringify(errorDocument(message, err instanceof CliError ? err.field : undefined)) + '\n');
    return 1;
  } finally {
    const o = opened as { core: WorkbenchCore | null } | null;
    if (o?.core && !keepOpen) await o.core.close();
  }
}

/** `serve` keeps the workspace open after its action returns. */
let keepOpen = false;
export function keepWorkspaceOpen(): void {
  keepOpen = true;
}
