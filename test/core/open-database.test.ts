/**
 * One rule for which better-sqlite3 binding a runtime loads: node_modules' Node
 * build everywhere but inside Electron with a kept Electron-ABI build
 * (resources/bin/electron-sqlite.mjs), and the kept build is reused, not rebuilt.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { openDatabase, sqliteOptions } from '../../src-main/core/db/open-database.ts';
// @ts-expect-error: a plain .mjs script of resources/bin, without type declarations
import { electronSqliteBinding, keptBindingPath } from '../../resources/bin/electron-sqlite.mjs';

const nodeBuild = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');

describe('which better-sqlite3 binding loads', () => {
  it.each([
    { runtime: { electron: undefined, binding: undefined }, expected: undefined, why: 'Node without a kept build' },
    { runtime: { electron: undefined, binding: '/kept/better_sqlite3.node' }, expected: undefined, why: 'Node ignores the Electron build' },
    { runtime: { electron: '39.0.0', binding: undefined }, expected: undefined, why: 'Electron without a kept build (packaged app: node_modules is Electron-built)' },
    { runtime: { electron: '39.0.0', binding: '/kept/better_sqlite3.node' }, expected: '/kept/better_sqlite3.node', why: 'Electron with a kept build' },
  ])('$why', ({ runtime, expected }) => {
    expect(sqliteOptions({ readonly: true }, runtime)).toEqual(expected ? { readonly: true, nativeBinding: expected } : { readonly: true });
  });

  it('an explicit nativeBinding wins', () => {
    expect(sqliteOptions({ nativeBinding: '/mine.node' }, { electron: '39.0.0', binding: '/kept.node' }).nativeBinding).toBe('/mine.node');
  });

  it('a database opens through the one entry (a real file)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wb-opendb-'));
    try {
      const db = openDatabase(path.join(dir, 'x.db'));
      db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7)');
      expect((db.prepare('SELECT v FROM t').get() as { v: number }).v).toBe(7);
      db.close();
      // And through nativeBinding: the Node build given explicitly loads the same way.
      const again = openDatabase(path.join(dir, 'x.db'), { readonly: true, nativeBinding: nodeBuild });
      expect((again.prepare('SELECT v FROM t').get() as { v: number }).v).toBe(7);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the kept Electron build is reused without a rebuild, and a missing package is named', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'wb-elsqlite-'));
    try {
      const lines: string[] = [];
      // No node_modules/better-sqlite3 in this root: nothing to build from.
      expect(electronSqliteBinding(root, '39.0.0', (l: string) => lines.push(l))).toBeNull();
      expect(lines.join('\n')).toMatch(/better-sqlite3's sources are missing/);
      const kept = keptBindingPath(root, '39.0.0') as string;
      mkdirSync(path.dirname(kept), { recursive: true });
      writeFileSync(kept, 'binary');
      expect(electronSqliteBinding(root, '39.0.0', (l: string) => lines.push(l))).toBe(kept);
      expect(keptBindingPath(root, '40.1.0')).not.toBe(kept);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
