import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export interface RunningHost {
  /** The page URL with ?token= as the host printed it. */
  url: string;
  origin: string;
  token: string;
  workspace: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `workbench serve --port 0` on a fresh workspace, waits for the line
 * with the URL (the only interface we rely on), and stops it afterwards.
 */
export async function startHost(): Promise<RunningHost> {
  if (!existsSync(path.join(repoRoot, 'out', 'renderer', 'index.html'))) {
    throw new Error('out/renderer/index.html is missing: run `npm run build` before the end-to-end tests.');
  }
  const workspace = mkdtempSync(path.join(tmpdir(), 'wb-e2e-ws-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'resources/bin/workbench.mjs'), 'serve', '--port', '0', '--workspace', workspace], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The host printed no URL within 60 s:\n${log}`)), 60_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /https?:\/\/[^\s]+\?token=[A-Za-z0-9_-]+/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The host exited (code ${code}) before printing its URL:\n${log}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    workspace,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000));
        await Promise.race([exited, timeout]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** One contract call over the host's HTTP API with its token, as the renderer's client makes it; a refusal throws with the call's name. */
export async function hostCall<T>(host: RunningHost, name: string, request: unknown): Promise<T> {
  const response = await fetch(`${host.origin}/api/call/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}` },
    body: JSON.stringify(request),
  });
  const body = (await response.json()) as { ok: true; result: T } | { ok: false; error: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error.message}`);
  return body.result;
}
