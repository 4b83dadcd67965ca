/**
 * The confinement rule on every path that reads a dataset file after import:
 * the reader used by training, the browser host's sample and thumbnail routes
 * (real HTTP requests), the Electron wb-file:// answer, datasets.verify and the
 * /files?path= route. Each scenario imports a real folder with real symbolic
 * links, checks every reader serves the file (so the test can fail), then moves
 * the link and checks that every reader refuses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, realpathSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { startBrowserHost, type BrowserHost } from '../../src-main/hosts/http/server.ts';
import { fileSchemeResponse } from '../../src-main/hosts/electron/file-scheme-response.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { verifyDataset } from '../../src-main/datasets/manage.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { tempDir, writeImage } from '../datasets/fixtures.ts';

/** A whole second, so a copy can carry exactly the same mtime (fractions do not survive utimes). */
const FIXED_TIME = 1_700_000_000;

/** An exact copy (bytes and mtime), so only where the file lies differs: size and mtime checks cannot notice the move. */
function twin(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
  utimesSync(to, FIXED_TIME, FIXED_TIME);
  expect(statSync(to).mtimeMs).toBe(statSync(from).mtimeMs);
}

interface Scenario {
  name: string;
  followLinksOut: boolean;
  /** Builds <base>/data (the dataset) and <base>/outside; returns the linked sample's path. */
  build(base: string): Promise<string>;
  /** Moves the link after import. */
  swap(base: string): void;
  refusal: RegExp;
}

const scenarios: Scenario[] = [
  {
    name: 'a link inside the dataset swapped to an identical file outside it',
    followLinksOut: false,
    async build(base) {
      await writeImage(`${base}/data/cls_a/a.jpg`);
      await writeImage(`${base}/data/.pool/p.jpg`, 8, 8, [1, 200, 1]);
      utimesSync(`${base}/data/.pool/p.jpg`, FIXED_TIME, FIXED_TIME);
      symlinkSync('../.pool/p.jpg', `${base}/data/cls_a/p.jpg`);
      return 'cls_a/p.jpg';
    },
    swap(base) {
      twin(`${base}/data/.pool/p.jpg`, `${base}/outside/p.jpg`);
      unlinkSync(`${base}/data/cls_a/p.jpg`);
      symlinkSync(`${base}/outside/p.jpg`, `${base}/data/cls_a/p.jpg`);
    },
    refusal: /leads out of the dataset folder/,
  },
  {
    name: 'a link followed out at import (followLinksOut) retargeted to another file outside',
    followLinksOut: true,
    async build(base) {
      await writeImage(`${base}/data/cls_a/a.jpg`);
      await writeImage(`${base}/outside/one/o.jpg`, 8, 8, [1, 1, 200]);
      utimesSync(`${base}/outside/one/o.jpg`, FIXED_TIME, FIXED_TIME);
      symlinkSync(`${base}/outside/one/o.jpg`, `${base}/data/cls_a/o.jpg`);
      return 'cls_a/o.jpg';
    },
    swap(base) {
      twin(`${base}/outside/one/o.jpg`, `${base}/outside/two/o.jpg`);
      unlinkSync(`${base}/data/cls_a/o.jpg`);
      symlinkSync(`${base}/outside/two/o.jpg`, `${base}/data/cls_a/o.jpg`);
    },
    refusal: /now leads to .*two\/o\.jpg, not to .*one\/o\.jpg/,
  },
];

describe('confinement on every read of a dataset file', () => {
  let core: WorkbenchCore;
  let host: BrowserHost;
  const dirs: string[] = [];
  beforeAll(async () => {
    const ws = tempDir('wb-ws-');
    dirs.push(ws);
    core = openCore({ workspaceDir: ws });
    host = await startBrowserHost(core, { port: 0 });
  });
  afterAll(async () => {
    await host.close();
    await core.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const get = (p: string): Promise<Response> => fetch(`http://127.0.0.1:${host.port}${p}${p.includes('?') ? '&' : '?'}token=${host.token}`);

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const base = tempDir('wb-confine-');
    dirs.push(base);
    mkdirSync(`${base}/data`, { recursive: true });
    mkdirSync(`${base}/outside`, { recursive: true });
    const linked = await s.build(base);
    const ws = core.ctx.ws;
    const imported = await importDirect(ws, { path: `${base}/data`, ...(s.followLinksOut ? { followLinksOut: true } : {}) });
    expect(imported.report.problems).toEqual([]);
    const datasetId = imported.report.datasetId!;
    const sampleId = (ws.db.prepare('SELECT id FROM samples WHERE dataset_id = ? AND path = ?').get(datasetId, linked) as { id: number }).id;

    const readers: [string, () => Promise<{ ok: boolean; text: string }>][] = [
      [
        'reader used by training',
        async () => {
          const reader = await openDatasetReader(ws.db, datasetId);
          const i = reader.sampleIds.indexOf(sampleId);
          try {
            await reader.read([i]);
            return { ok: true, text: '' };
          } catch (err) {
            return { ok: false, text: (err as Error).message };
          }
        },
      ],
      ['GET /files/sample/<id>', async () => httpResult(await get(`/files/sample/${sampleId}`))],
      ['GET /files/sample/<id>?thumb=64', async () => httpResult(await get(`/files/sample/${sampleId}?thumb=64`))],
      ['wb-file://sample/<id>', async () => httpResult(await fileSchemeResponse(ws, `wb-file://sample/${sampleId}`))],
      ['wb-file://sample/<id>?thumb=64', async () => httpResult(await fileSchemeResponse(ws, `wb-file://sample/${sampleId}?thumb=64`))],
      [
        'datasets.verify',
        async () => {
          const v = verifyDataset(ws, datasetId);
          return { ok: v.changed.length === 0, text: v.changed.map((c) => `${c.code}: ${c.message}`).join('\n') };
        },
      ],
    ];
    for (const [where, read] of readers) {
      const before = await read();
      expect(before, `${where} before the swap`).toEqual({ ok: true, text: expect.any(String) });
    }
    s.swap(base);
    for (const [where, read] of readers) {
      const after = await read();
      expect(after.ok, `${where} after the swap: ${after.text}`).toBe(false);
      expect(after.text, where).toMatch(s.refusal);
    }
    // The /files?path= route refuses the link the same way as a file that does not exist.
    const viaLink = await get(`/files?path=${encodeURIComponent(path.join(`${base}/data`, linked))}`);
    const missing = await get(`/files?path=${encodeURIComponent(path.join(`${base}/data`, 'cls_a/none.jpg'))}`);
    expect(viaLink.status).toBe(404);
    expect(missing.status).toBe(404);
    const shape = async (r: Response): Promise<string> => ((await r.json()) as { error: { message: string } }).error.message.replace(/\/\S+/, '<path>');
    expect(await shape(viaLink)).toBe(await shape(missing));
    expect(realpathSync(path.join(`${base}/data`, linked))).toContain(`${path.sep}outside${path.sep}`);
  });
});

async function httpResult(res: Response): Promise<{ ok: boolean; text: string }> {
  const ok = res.status === 200;
  const text = ok ? '' : await res.text();
  return { ok, text };
}
