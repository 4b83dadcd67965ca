import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobKinds } from '../../src-main/common/contract/kinds.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, type CallName } from '../../src-main/common/contract/index.ts';
import { handlers } from '../../src-main/app/handlers.ts';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

const callNames = Object.keys(contract) as CallName[];

describe('the API contract', () => {
  let core: WorkbenchCore;
  let cleanup: () => void;
  beforeAll(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    core = openCore({ workspaceDir: t.dir });
  });
  afterAll(async () => {
    await core.close();
    cleanup();
  });

  it.each(callNames)('%s has a handler and refuses a malformed request with a clear error', async (name) => {
    expect(typeof handlers[name]).toBe('function');
    expect(contract[name].summary.length).toBeGreaterThan(5);
    // A number is never a valid request object: validation must catch it at the edge.
    const envelope = await core.dispatch(name, 42);
    expect(envelope.ok).toBe(false);
    if (!envelope.ok) {
      expect(envelope.error.code).toBe('invalid_request');
      expect(envelope.error.message.length).toBeGreaterThan(5);
    }
  });

  it('refuses unknown calls', async () => {
    const envelope = await core.dispatch('nope.nothing', {});
    expect(envelope).toEqual({ ok: false, error: { code: 'unknown_call', message: 'Unknown call "nope.nothing".' } });
  });

  it('names the offending field', async () => {
    const envelope = await core.dispatch('settings.set', { computeConcurrency: 0 });
    expect(envelope.ok).toBe(false);
    if (!envelope.ok) {
      expect(envelope.error.field).toBe('computeConcurrency');
      expect(envelope.error.message).toMatch(/^computeConcurrency: /);
    }
  });

  it('stores settings and returns them with defaults', async () => {
    const set = await core.dispatch('settings.set', { theme: 'dark' });
    expect(set).toMatchObject({ ok: true, result: { theme: 'dark', backend: 'auto', computeConcurrency: 1 } });
    const got = await core.dispatch('settings.get', {});
    expect(got).toMatchObject({ ok: true, result: { theme: 'dark' } });
  });

  it('reports the workspace', async () => {
    const info = await core.dispatch('workspace.info', {});
    expect(info.ok).toBe(true);
    if (info.ok) expect(info.result).toMatchObject({ dir: core.ctx.ws.dir, schemaVersion: core.ctx.ws.schemaVersion });
  });
});

describe('workspace.setDefault', () => {
  it('records the folder the app opens next time, and refuses a file', async () => {
    const t = tempDir();
    const core = openCore({ workspaceDir: `${t.dir}/ws` });
    try {
      const saved = process.env.WORKBENCH_WORKSPACE;
      delete process.env.WORKBENCH_WORKSPACE;
      const next = `${t.dir}/next-ws`;
      const res = await core.dispatch('workspace.setDefault', { dir: next });
      expect(res).toMatchObject({ ok: true, result: { nextStartDir: next, dir: core.ctx.ws.dir } });
      const relative = await core.dispatch('workspace.setDefault', { dir: 'relative/path' });
      expect(relative).toMatchObject({ ok: false, error: { field: 'dir' } });
      if (saved !== undefined) process.env.WORKBENCH_WORKSPACE = saved;
    } finally {
      await core.close();
      t.cleanup();
    }
  });
});

describe('contract files', () => {
  const contractDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src-main', 'common', 'contract');
  /** Files that declare calls (the rest hold shared definitions: the call helper, errors, events, kinds). */
  const callFiles = readdirSync(contractDir)
    .filter((f) => f.endsWith('.ts') && !['index.ts', 'define.ts', 'errors.ts', 'events.ts', 'kinds.ts'].includes(f))
    .map((f) => f.replace(/\.ts$/, ''));

  it('declare disjoint call names (a duplicate would silently replace another domain’s call)', async () => {
    const seen = new Map<string, string>();
    for (const f of callFiles) {
      const mod = (await import(`../../src-main/common/contract/${f}.ts`)) as Record<string, unknown>;
      const calls = Object.entries(mod).find(([k]) => k.endsWith('Calls'))?.[1] as Record<string, unknown>;
      expect(calls, f).toBeTypeOf('object');
      for (const name of Object.keys(calls)) {
        expect(seen.get(name), `${name} is declared in ${seen.get(name)} and ${f}`).toBeUndefined();
        seen.set(name, f);
      }
    }
    expect(seen.size).toBe(Object.keys(contract).length);
  });

  it('name calls and job kinds with the word of their contract file, and a domain folder of that word holds the handlers', async () => {
    for (const f of callFiles) {
      const mod = (await import(`../../src-main/common/contract/${f}.ts`)) as Record<string, unknown>;
      const calls = Object.entries(mod).find(([k]) => k.endsWith('Calls'))![1] as Record<string, unknown>;
      for (const name of Object.keys(calls)) expect(name.split('.')[0], `call ${name} in contract/${f}.ts`).toBe(f);
      // Core's own calls are handled in core/handlers/<word>.ts; every other domain in src-main/<word>/api.ts.
      const handlerFile = existsSync(path.join(contractDir, '..', '..', 'core', 'handlers', `${f}.ts`))
        ? path.join(contractDir, '..', '..', 'core', 'handlers', `${f}.ts`)
        : path.join(contractDir, '..', '..', f, 'api.ts');
      expect(existsSync(handlerFile), `handlers of contract/${f}.ts`).toBe(true);
    }
    for (const kind of Object.values(jobKinds)) expect(callFiles, `job kind ${kind}`).toContain(kind.split('.')[0]);
  });
});
