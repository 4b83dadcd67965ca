import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { startBrowserHost, type BrowserHost } from '../../src-main/hosts/http/server.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

/** A raw request, so tests can set Host and Origin headers that fetch would not let them forge. */
function rawRequest(port: number, options: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: options.path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

describe('browser host', () => {
  let core: WorkbenchCore;
  let host: BrowserHost;
  let cleanup: () => void;
  let outside: { dir: string; cleanup: () => void };
  let base: string;

  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    outside = tempDir('wb-outside-');
    core = openCore({ workspaceDir: path.join(t.dir, 'ws') });
    host = await startBrowserHost(core, { port: 0 });
    base = `http://127.0.0.1:${host.port}`;
  });
  afterAll(async () => {
    await host.close();
    await core.close();
    cleanup();
    outside.cleanup();
  });

  const call = (name: string, body: unknown, token = host.token): Promise<Response> =>
    fetch(`${base}/api/call/${name}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('prints a loopback URL carrying its token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('answers contract calls with the token', async () => {
    const res = await call('workspace.info', {});
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; result: { dir: string } };
    expect(body.ok).toBe(true);
    expect(body.result.dir).toBe(core.ctx.ws.dir);
  });

  it.each([
    ['no token', undefined],
    ['a wrong token', 'f'.repeat(48)],
  ])('refuses a call with %s', async (_label, token) => {
    const res = await fetch(`${base}/api/call/workspace.info`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {}, body: '{}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    const headers = { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' };
    const rebound = await rawRequest(host.port, { path: '/api/call/workspace.info', method: 'POST', headers: { ...headers, host: `evil.example:${host.port}` }, body: '{}' });
    expect(rebound.status).toBe(401);
    const crossSite = await rawRequest(host.port, { path: '/api/call/workspace.info', method: 'POST', headers: { ...headers, origin: 'http://evil.example' }, body: '{}' });
    expect(crossSite.status).toBe(401);
    const sameSite = await rawRequest(host.port, { path: '/api/call/workspace.info', method: 'POST', headers: { ...headers, origin: `http://127.0.0.1:${host.port}` }, body: '{}' });
    expect(sameSite.status).toBe(200);
  });

  it('answers malformed requests with a clear 400, and keeps serving', async () => {
    const bad = await fetch(`${base}/api/call/settings.set`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    const invalid = await call('settings.set', { theme: 'purple' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { field: string } }).error.field).toBe('theme');
    const unknown = await call('no.such', {});
    expect(unknown.status).toBe(404);
    expect((await call('workspace.info', {})).status).toBe(200);
  });

  it('serves files inside the workspace, thumbnails them, and refuses files outside', async () => {
    const img = path.join(core.ctx.ws.artifactsDir, 'pic.png');
    await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toFile(img);
    const ok = await fetch(`${base}/files?path=${encodeURIComponent(img)}&token=${host.token}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    const thumb = await fetch(`${base}/files?path=${encodeURIComponent(img)}&thumb=100&token=${host.token}`);
    expect(thumb.status).toBe(200);
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(128); // snapped to the next cached size

    const secret = path.join(outside.dir, 'secret.txt');
    writeFileSync(secret, 'private');
    // Outside the roots answers as missing: the route tells nothing about what exists there.
    const refused = await fetch(`${base}/files?path=${encodeURIComponent(secret)}&token=${host.token}`);
    expect(refused.status).toBe(404);
    // A symlink inside the workspace that leads out of it is refused too.
    const link = path.join(core.ctx.ws.artifactsDir, 'link.txt');
    symlinkSync(secret, link);
    expect((await fetch(`${base}/files?path=${encodeURIComponent(link)}&token=${host.token}`)).status).toBe(404);
    const traversal = await fetch(`${base}/files?path=${encodeURIComponent(core.ctx.ws.dir + '/../../etc/passwd')}&token=${host.token}`);
    expect(traversal.status).toBe(404);
    expect((await fetch(`${base}/files?path=${encodeURIComponent(img)}`)).status).toBe(401);
  });

  it('serves files under a registered dataset root', async () => {
    const root = path.join(outside.dir, 'dataset');
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'a.txt'), 'sample');
    core.ctx.ws.db.prepare("INSERT INTO datasets (name, format, root_path) VALUES ('d', 'imagefolder', ?)").run(root);
    const res = await fetch(`${base}/files?path=${encodeURIComponent(path.join(root, 'a.txt'))}&token=${host.token}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('sample');
  });

  it('serves a dataset sample and its thumbnail by sample id', async () => {
    const root = path.join(outside.dir, 'samples-root');
    mkdirSync(root, { recursive: true });
    const file = path.join(root, 'cat.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 0, g: 90, b: 200 } } }).png().toFile(file);
    const { statSync } = await import('node:fs');
    const st = statSync(file);
    const ds = core.ctx.ws.db.prepare("INSERT INTO datasets (name, format, root_path) VALUES ('s', 'imagefolder', ?)").run(root);
    const sample = core.ctx.ws.db
      .prepare('INSERT INTO samples (dataset_id, path, size_bytes, mtime_ms, width, height) VALUES (?, ?, ?, ?, 64, 48)')
      .run(ds.lastInsertRowid, 'cat.png', st.size, Math.floor(st.mtimeMs));
    const full = await fetch(`${base}/files/sample/${sample.lastInsertRowid}?token=${host.token}`);
    expect(full.status).toBe(200);
    expect((await sharp(Buffer.from(await full.arrayBuffer())).metadata()).width).toBe(64);
    const thumb = await fetch(`${base}/files/sample/${sample.lastInsertRowid}?thumb=32&token=${host.token}`);
    expect(thumb.status).toBe(200);
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBe(32);
    expect((await fetch(`${base}/files/sample/999999?token=${host.token}`)).status).toBe(404);
  });

  it('pushes events over the WebSocket to token holders only', async () => {
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=wrong`);
      ws.on('error', (e) => resolve(e.message));
      ws.on('open', () => resolve('opened'));
    });
    expect(refused).toMatch(/401/);

    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
    await new Promise((resolve) => ws.on('open', resolve));
    const received = new Promise<{ event: string; payload: { what: string } }>((resolve) => ws.on('message', (data) => resolve(JSON.parse(String(data)))));
    await call('settings.set', { theme: 'light' });
    expect(await received).toEqual({ event: 'data.changed', payload: { what: 'settings' } });
    ws.close();
  });
});
