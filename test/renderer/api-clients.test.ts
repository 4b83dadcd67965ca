// @vitest-environment happy-dom
import { describe, it, expect, afterEach, vi } from 'vitest';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { createBrowserApi } from '../../src-renderer/src/api/browser-client.ts';
import { createElectronApi } from '../../src-renderer/src/api/electron-client.ts';
import { takeBrowserToken } from '../../src-renderer/src/api/browser-token.ts';
import { unwrapEnvelope } from '../../src-renderer/src/api/envelope.ts';
import type { WorkbenchBridge } from '../../src-renderer/src/api/workbench-bridge.d.ts';

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('envelopes', () => {
  it('returns the result or throws an ApiError with code and field', () => {
    expect(unwrapEnvelope({ ok: true, result: 5 }, 'x')).toBe(5);
    const error = (() => {
      try {
        unwrapEnvelope({ ok: false, error: { code: 'invalid_request', message: 'too big', field: 'epochs' } }, 'x');
      } catch (e) {
        return e as ApiError;
      }
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect([error?.code, error?.message, error?.field]).toEqual(['invalid_request', 'too big', 'epochs']);
    expect(() => unwrapEnvelope('<html>', 'jobs.list')).toThrow('jobs.list: the host sent a malformed reply');
  });
});

describe('browser host client', () => {
  it('takes the token from the address once, keeps it for the tab and removes it from the address bar', () => {
    window.history.replaceState(null, '', '/?token=abc123&x=1#/runs');
    expect(takeBrowserToken()).toBe('abc123');
    expect(window.location.search).toBe('?x=1');
    expect(window.location.hash).toBe('#/runs');
    expect(takeBrowserToken()).toBe('abc123');
  });

  it('posts calls with the bearer token and turns error envelopes into ApiErrors', async () => {
    const requests: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      if (url.endsWith('/api/call/jobs.cancel')) {
        return new Response(JSON.stringify({ ok: false, error: { code: 'not_found', message: 'There is no job 9.', field: 'id' } }), { status: 404 });
      }
      return new Response(JSON.stringify({ ok: true, result: [] }), { status: 200 });
    });
    const api = createBrowserApi('t0k', 'http://127.0.0.1:9999');
    expect(await api.call('jobs.list', {})).toEqual([]);
    expect(requests[0]!.url).toBe('http://127.0.0.1:9999/api/call/jobs.list');
    expect(requests[0]!.init.method).toBe('POST');
    expect((requests[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer t0k');
    await expect(api.call('jobs.cancel', { id: 9 })).rejects.toMatchObject({ code: 'not_found', field: 'id', message: 'There is no job 9.' });
  });

  it('builds file and sample URLs the host serves', () => {
    const api = createBrowserApi('t 1', 'http://127.0.0.1:9999');
    expect(api.fileUrl('/data/a b.png', { thumb: 128 })).toBe('http://127.0.0.1:9999/files?path=%2Fdata%2Fa%20b.png&thumb=128&token=t%201');
    expect(api.sampleUrl(42)).toBe('http://127.0.0.1:9999/files/sample/42?token=t%201');
  });
});

describe('electron client', () => {
  it('wraps the preload bridge: envelopes unwrapped, events passed through', async () => {
    const listeners: ((p: unknown) => void)[] = [];
    const bridge: WorkbenchBridge = {
      call: async (name) => (name === 'jobs.get' ? { ok: false, error: { code: 'not_found', message: 'gone' } } : { ok: true, result: { backend: 'cpu' } }),
      on: (_event, listener) => {
        listeners.push(listener);
        return () => listeners.splice(listeners.indexOf(listener), 1);
      },
      fileUrl: (p) => `wb-file://file/${encodeURIComponent(p)}`,
    };
    const api = createElectronApi(bridge);
    expect(api.hostKind).toBe('electron');
    expect(await api.call('engine.info', {})).toEqual({ backend: 'cpu' });
    await expect(api.call('jobs.get', { id: 1 })).rejects.toMatchObject({ code: 'not_found' });
    const seen: unknown[] = [];
    const off = api.on('data.changed', (p) => seen.push(p));
    listeners[0]!({ what: 'jobs' });
    off();
    expect(seen).toEqual([{ what: 'jobs' }]);
    expect(listeners).toHaveLength(0);
    expect(api.sampleUrl(3, { thumb: 64 })).toBe('wb-file://sample/3?thumb=64');
  });
});
