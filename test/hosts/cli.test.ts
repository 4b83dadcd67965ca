import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { runWorkbench, runWorkbenchInProcess } from '../helpers/cli.ts';
import { buildProgram } from '../../src-main/hosts/cli/main.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

describe('workbench CLI', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    const t = tempDir();
    dir = path.join(t.dir, 'ws');
    cleanup = t.cleanup;
  });
  afterAll(() => cleanup());

  it('prints one JSON document on stdout under --json', async () => {
    const r = await runWorkbench(['--workspace', dir, '--json', 'workspace', 'info']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { dir: string; schemaVersion: number };
    expect(info.dir).toBe(dir);
    expect(info.schemaVersion).toBeGreaterThan(0);
  });

  it('runs a job through a job process and reports it in jobs list', async () => {
    const verify = await runWorkbench(['--workspace', dir, '--json', 'workspace', 'verify']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ checked: 0, problems: [] });
    const list = await runWorkbench(['--workspace', dir, '--json', 'jobs', 'list']);
    const jobs = JSON.parse(list.stdout) as { kind: string; status: string }[];
    expect(jobs[0]).toMatchObject({ kind: 'workspace.verify', status: 'succeeded' });
  });

  it('jobs show prints a readable summary; --json keeps the whole document', async () => {
    expect((await runWorkbenchInProcess(['--workspace', dir, '--json', 'workspace', 'verify'])).code).toBe(0);
    const list = JSON.parse((await runWorkbenchInProcess(['--workspace', dir, '--json', 'jobs', 'list'])).stdout) as { id: number; kind: string }[];
    const id = list.find((j) => j.kind === 'workspace.verify')!.id;
    const text = await runWorkbenchInProcess(['--workspace', dir, 'jobs', 'show', String(id)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^Job ${id}: `));
    for (const line of [/^ {2}kind: +workspace\.verify$/m, /^ {2}state: +succeeded$/m, /^ {2}started: +\d{4}-/m, /^ {2}finished: +\d{4}-.* s\)$/m, /^ {2}result:\n {4}checked: 0$/m]) expect(text.stdout).toMatch(line);
    expect(text.stdout).not.toMatch(/[{[]"/); // no raw JSON
    const json = await runWorkbenchInProcess(['--workspace', dir, '--json', 'jobs', 'show', String(id)]);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, kind: 'workspace.verify', status: 'succeeded', result: { checked: 0, problems: [] } });
  });

  // `npx workbench` runs from a lab's own folders: the job process must find its TypeScript loader from anywhere.
  it('runs a job when started from a folder outside the installation', async () => {
    const elsewhere = tempDir();
    try {
      const ws = path.join(elsewhere.dir, 'ws');
      const r = await runWorkbench(['--workspace', ws, '--json', 'workspace', 'verify'], { cwd: elsewhere.dir });
      expect(r.stderr).not.toMatch(/exited unexpectedly|Cannot find package/);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ checked: 0, problems: [] });
    } finally {
      elsewhere.cleanup();
    }
  });

  it.each([
    [['jobs', 'cancel', '999'], /^workbench: There is no job 999\. \(field id\)\n$/],
    [['jobs', 'cancel', 'abc'], /^workbench: "abc" is not a job id/],
    [['serve', '--port', 'x'], /^workbench: --port must be 0\.\.65535/],
    [['train', '--config', '/nonexistent/run.json'], /^workbench: --config \/nonexistent\/run\.json: cannot read the file \(no such file\)\.\n$/],
    [['train', '--config', '/'], /^workbench: --config \/: cannot read the file \(it is a folder, not a file\)\.\n$/],
  ])('fails with one line on stderr and a non-zero exit: %j', async (args, message) => {
    const r = await runWorkbench(['--workspace', dir, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  // Scripts read stdout: under --json every failure, from the option parser or a command, is one JSON error document there too.
  it.each([
    [['jobs', 'cancel', '999'], { message: 'There is no job 999. (field id)', field: 'id' }],
    [['jobs', 'cancel', 'abc'], { message: expect.stringMatching(/^"abc" is not a job id/) }],
    [['train', '--config', '/nonexistent/run.json'], { message: '--config /nonexistent/run.json: cannot read the file (no such file).' }],
    [['jobs', 'list', '--no-such-option'], { message: expect.stringMatching(/unknown option '--no-such-option'/) }],
  ])('under --json prints {"error": ...} on stdout with a non-zero exit: %j', async (args, error) => {
    const r = await runWorkbench(['--workspace', dir, '--json', ...args]);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ error });
  });

  // The config file says "epochs"; the line names that field once, as the file spells it.
  it('names a refused config field once, as the config file spells it', async () => {
    const file = path.join(dir, '..', 'bad-train.json');
    writeFileSync(file, JSON.stringify({ dataset: { id: 1 }, model: { arch: 'resnet20' }, epochs: -2 }));
    const r = await runWorkbench(['--workspace', dir, 'train', '--config', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^workbench: epochs: .*1/);
    expect(r.stderr).not.toMatch(/params\.|\(field /);
  });

  // One process for the binary's top-level help; each command's help then runs through the same
  // parser in-process (a process per command took over 60 s on a loaded machine).
  it('has --help for every command', async () => {
    const r = await runWorkbench(['--help']);
    expect(r.code).toBe(0);
    const commands = [...r.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['serve', 'workspace', 'jobs']));
    for (const c of commands) {
      let out = '';
      const program = buildProgram(() => Promise.reject(new Error('help needs no workspace')));
      const quiet = (cmd: Command): void => {
        cmd.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (out += s) });
        cmd.commands.forEach(quiet);
      };
      quiet(program);
      const ended = await program.parseAsync([c, '--help'], { from: 'user' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(ended, c).toBeInstanceOf(CommanderError);
      expect((ended as CommanderError).code, c).toBe('commander.helpDisplayed');
      expect(out, c).toMatch(new RegExp(`^Usage: workbench ${c} `));
    }
  });
});

describe('workbench CLI beside a running browser host', () => {
  it('sends its calls to the host that holds the workspace instead of opening a second writer', async () => {
    const t = tempDir();
    const dir = path.join(t.dir, 'ws');
    const { spawn } = await import('node:child_process');
    const { workbenchBin, repoRoot } = await import('../helpers/cli.ts');
    const server = spawn(process.execPath, [workbenchBin, '--workspace', dir, '--json', 'serve', '--port', '0'], { cwd: repoRoot });
    try {
      const started = await new Promise<{ url: string }>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (c) => {
          out += c;
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
        });
        server.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const verify = await runWorkbench(['--workspace', dir, '--json', 'workspace', 'verify']);
      expect(verify.code).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ checked: 0 });
      // The job ran in the host: the host's own API lists it.
      const token = new URL(started.url).searchParams.get('token');
      const res = await fetch(new URL('/api/call/jobs.list', started.url), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
      const body = (await res.json()) as { result: { kind: string; status: string }[] };
      expect(body.result[0]).toMatchObject({ kind: 'workspace.verify', status: 'succeeded' });
      // A job the host refuses ends the command with the message (it used to hang on the open event socket).
      const missing = path.join(t.dir, 'no-such-folder');
      const refused = await runWorkbench(['--workspace', dir, 'datasets', 'import', missing], { timeoutMs: 20_000 });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`${missing} does not exist`);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
      t.cleanup();
    }
  });
});
