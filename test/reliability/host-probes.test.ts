/**
 * Probes of the browser host with real HTTP requests (raw sockets where fetch
 * would tidy the request up), and of the workspace files' permissions. Each
 * row states the answer the host must give; the host must keep serving after
 * every probe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { MAX_JSON_DEPTH, startBrowserHost, type BrowserHost } from '../../src-main/hosts/http/server.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One request over a raw connection; the body is streamed in 1 MiB pieces. A reset connection rejects. */
function request(port: number, p: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }));
    });
    req.on('error', reject);
    const body = options.body;
    if (!body) return void req.end();
    let off = 0;
    const pump = (): void => {
      while (off < body.length) {
        const piece = body.subarray(off, off + 2 ** 20);
        off += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

interface Probe {
  name: string;
  send(port: number, token: string, outside: string): Promise<Answer>;
  status: number;
  /** The JSON error message must match (the answer names what was wrong). */
  message?: RegExp;
  maxMs?: number;
}

const post = (port: number, token: string, name: string, body: Buffer): Promise<Answer> =>
  request(port, `/api/call/${name}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(body.length) }, body });

const probes: Probe[] = [
  { name: 'a malformed percent escape on the static route (/%E0%A4%A)', send: (port) => request(port, '/%E0%A4%A'), status: 400, message: /Malformed URL/ },
  { name: 'a malformed percent escape in a call name', send: (port, token) => post(port, token, '%E0%A4%A', Buffer.from('{}')), status: 400, message: /Malformed URL/ },
  {
    name: 'a body over the 16 MiB cap gets a JSON 413, not a reset connection',
    send: (port, token) => post(port, token, 'workspace.info', Buffer.alloc(17 * 2 ** 20, 0x20)),
    status: 413,
    message: /larger than 16777216 bytes/,
  },
  {
    name: 'a body over the cap sent without a length (chunked) gets a JSON 413 too',
    send: (port, token) => request(port, '/api/call/workspace.info', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' }, body: Buffer.alloc(17 * 2 ** 20, 0x20) }),
    status: 413,
    message: /larger than 16777216 bytes/,
  },
  {
    name: 'a deeply nested 10 MB JSON body is refused quickly, naming the limit',
    send: (port, token) => post(port, token, 'settings.set', Buffer.from('['.repeat(5 * 2 ** 20) + ']'.repeat(5 * 2 ** 20))),
    status: 400,
    message: new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`),
    maxMs: 1500,
  },
  {
    name: `nesting at the limit (${MAX_JSON_DEPTH} levels) still reaches the call's own validation`,
    send: (port, token) => post(port, token, 'settings.set', Buffer.from(`{"theme":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`)),
    status: 400,
    message: /theme/,
  },
  {
    name: 'brackets inside strings do not count as nesting',
    send: (port, token) => post(port, token, 'workspace.info', Buffer.from(JSON.stringify({ note: '['.repeat(1000) + '\\"{' }))),
    status: 400,
    message: /note|Unrecognized|unrecognized/,
  },
  {
    name: '/files?path= for an existing file outside the roots answers like a missing one (no existence oracle)',
    send: (port, token, outside) => request(port, `/files?path=${encodeURIComponent(path.join(outside, 'exists.txt'))}&token=${token}`),
    status: 404,
    message: /^No file <path> in the workspace or a registered dataset folder\.$/,
  },
  {
    name: '/files?path= for a missing file outside the roots',
    send: (port, token, outside) => request(port, `/files?path=${encodeURIComponent(path.join(outside, 'missing.txt'))}&token=${token}`),
    status: 404,
    message: /^No file <path> in the workspace or a registered dataset folder\.$/,
  },
];

describe('browser host probes', () => {
  let core: WorkbenchCore;
  let host: BrowserHost;
  let ws: { dir: string; cleanup: () => void };
  let outside: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    ws = tempDir('wb-ws-');
    outside = tempDir('wb-outside-');
    writeFileSync(path.join(outside.dir, 'exists.txt'), 'private');
    core = openCore({ workspaceDir: ws.dir });
    host = await startBrowserHost(core, { port: 0 });
  });
  afterAll(async () => {
    await host.close();
    await core.close();
    ws.cleanup();
    outside.cleanup();
  });

  it.each(probes.map((p) => [p.name, p] as const))('%s', async (_name, probe) => {
    const answer = await probe.send(host.port, host.token, outside.dir);
    expect(answer.status).toBe(probe.status);
    const body = JSON.parse(answer.body) as { ok: boolean; error: { message: string } };
    expect(body.ok).toBe(false);
    if (probe.message) expect(body.error.message.replace(/\/\S+/, '<path>')).toMatch(probe.message);
    if (probe.maxMs) expect(answer.ms).toBeLessThan(probe.maxMs);
    const after = await request(host.port, '/api/call/workspace.info', { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: Buffer.from('{}') });
    expect(after.status).toBe(200);
  });

  it('tightens the database of an older, world-readable workspace to 0600 on open', () => {
    const old = tempDir('wb-old-ws-');
    try {
      Workspace.open(old.dir).close();
      chmodSync(path.join(old.dir, 'workbench.db'), 0o644);
      const reopened = Workspace.open(old.dir);
      expect((statSync(path.join(old.dir, 'workbench.db')).mode & 0o777).toString(8)).toBe('600');
      reopened.close();
    } finally {
      old.cleanup();
    }
  });

  it('keeps the workspace database, its -wal and -shm owner-only (0600)', () => {
    core.ctx.ws.db.exec('CREATE TABLE IF NOT EXISTS probe (x)');
    const files = readdirSync(ws.dir).filter((f) => f.startsWith('workbench.db'));
    expect(files.sort()).toEqual(['workbench.db', 'workbench.db-shm', 'workbench.db-wal']);
    for (const f of files) expect((statSync(path.join(ws.dir, f)).mode & 0o777).toString(8), f).toBe('600');
  });
});
