/**
 * The CLI's help texts, every command and subcommand: each option's default is
 * shown once, no help points at the tree's source files, and the train config
 * reference (`train --help-config`) comes from the contract's schema.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src-main/hosts/cli/main.ts';
import { runWorkbench } from '../helpers/cli.ts';

function allCommands(cmd: Command, prefix: string[] = []): { path: string; cmd: Command }[] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [{ path: path.join(' '), cmd: c }, ...allCommands(c, path)];
  });
}

const program = buildProgram(() => Promise.reject(new Error('help needs no workspace')));
const commands = allCommands(program);

describe('CLI help texts', () => {
  it('covers the command tree', () => {
    expect(commands.map((c) => c.path)).toEqual(expect.arrayContaining(['datasets import', 'train', 'models export', 'jobs show']));
  });

  it.each(commands.map((c) => [c.path, c.cmd] as const))('workbench %s --help: one default per option, no source paths', (_path, cmd) => {
    const help = cmd.helpInformation();
    // Commander appends "(default: ...)" for an option with a default value: its own text must not say it again.
    for (const option of cmd.options) {
      if (option.defaultValue !== undefined) expect(option.description, option.flags).not.toMatch(/default/i);
    }
    expect(help).not.toMatch(/src-main\/|src-renderer\/|\.ts\b/);
  });

  it('train --help-config prints every config field with its type and default, read from the schema', async () => {
    const r = await runWorkbench(['train', '--help-config']);
    expect(r.code).toBe(0);
    const line = (field: string) => r.stdout.split('\n').find((l) => l.startsWith(`${field} `)) ?? '';
    expect(line('optimizer.lr')).toMatch(/number 0\.\.10\s+0\.1$/);
    expect(line('dataset.id')).toMatch(/\(required\)/);
    expect(line('model.arch')).toMatch(/one of resnet20 \| .*resnet56/);
    expect(line('prune.rate')).not.toBe('');
    // Without --config and without --help-config: the one missing option is named.
    const missing = await runWorkbench(['train']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--config <file>/);
  });
});
