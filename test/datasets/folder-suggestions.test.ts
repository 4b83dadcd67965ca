import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suggestFolders } from '../../src-main/datasets/folder-suggestions.ts';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

/** The import path's folder suggestions: below the import roots only, real folders only, links judged by where they lead. */
describe('folder suggestions for a typed import path', () => {
  let top: string;
  let root: string;
  let outside: string;
  let cleanup: () => void;

  beforeAll(() => {
    ({ dir: top, cleanup } = tempDir('wb-folders-'));
    root = path.join(top, 'data');
    outside = path.join(top, 'private');
    for (const d of ['cifar10', 'cifar100', 'market', '.cache', 'cifar10/train']) mkdirSync(path.join(root, d), { recursive: true });
    mkdirSync(path.join(outside, 'secrets'), { recursive: true });
    writeFileSync(path.join(root, 'cifar-notes.txt'), 'not a folder');
    symlinkSync(path.join(root, 'market'), path.join(root, 'cifar-link-in'));
    symlinkSync(outside, path.join(root, 'cifar-link-out'));
  });
  afterAll(() => cleanup());

  const names = (typed: string): string[] => suggestFolders(typed, [root]).folders.map((f) => f.name);

  it('offers the subfolders continuing what is typed, with their full paths', () => {
    expect(names(`${root}/cif`)).toEqual(['cifar-link-in', 'cifar10', 'cifar100']);
    expect(suggestFolders(`${root}/cifar1`, [root]).folders).toEqual([
      { name: 'cifar10', path: path.join(root, 'cifar10') },
      { name: 'cifar100', path: path.join(root, 'cifar100') },
    ]);
    expect(names(`${root}/cifar10/`)).toEqual(['train']);
  });

  it('leaves out files, hidden folders (unless asked) and links that lead out of the roots', () => {
    expect(names(`${root}/`)).toEqual(['cifar-link-in', 'cifar10', 'cifar100', 'market']);
    expect(names(`${root}/.`)).toEqual(['.cache']);
  });

  it('offers the roots for an empty path, and the way down to a root from above it', () => {
    expect(suggestFolders('', [root, path.join(top, 'missing')])).toMatchObject({ folder: null, roots: [root], folders: [{ path: root }] });
    // From the folder above the root only the root is offered, not its siblings.
    expect(names(`${top}/`)).toEqual(['data']);
  });

  it('lists nothing outside the roots, with the same answer whether the folder exists or not, and refuses relative paths', () => {
    const answers = [`${outside}/`, `${outside}/sec`, `${root}/cifar-link-out/`, '/no/such/folder/x'].map((p) => {
      const s = suggestFolders(p, [root]);
      expect(s.folders, p).toEqual([]);
      expect(s.outside, p).toMatch(/is not below an import folder/);
      // Only the typed folder differs between answers: nothing says whether it exists.
      return { ...s, folder: null, outside: s.outside!.replace(s.folder!, '') };
    });
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(() => suggestFolders('data/cifar', [root])).toThrow(/not an absolute path/);
  });

  it('is the datasets.folders call, reading the roots from the settings', async () => {
    const core: WorkbenchCore = openCore({ workspaceDir: path.join(top, 'ws') });
    try {
      expect(await core.dispatch('datasets.folders', { path: `${root}/` })).toMatchObject({ ok: true, result: { folders: [], outside: expect.stringMatching(/not below an import folder/) } });
      expect(await core.dispatch('settings.set', { importRoots: ['relative/path'] })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await core.dispatch('settings.set', { importRoots: [root] })).toMatchObject({ ok: true, result: { importRoots: [root] } });
      expect(await core.dispatch('datasets.folders', { path: `${root}/ma` })).toMatchObject({ ok: true, result: { folder: root, folders: [{ name: 'market' }] } });
    } finally {
      await core.close();
    }
  });
});
