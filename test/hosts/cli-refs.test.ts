import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { openCore, type WorkbenchCore } from '../../src-main/app/open-core.ts';
import { datasetRef, modelRef, positiveInt } from '../../src-main/hosts/cli/refs.ts';
import type { CliRuntime } from '../../src-main/hosts/cli/cli-types.ts';
import { importTinyIdx } from '../train/fixtures.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { runWorkbench } from '../helpers/cli.ts';

/** Datasets and models by name on the command line: the unique name resolves, an ambiguous or unknown one is refused naming the choices. */
describe('names as ids on the command line', () => {
  let root: string;
  let cleanup: () => void;
  let ids: { a: number; b: number; c: number };

  beforeAll(async () => {
    ({ dir: root, cleanup } = tempDir('wb-refs-'));
    const ws = Workspace.open(path.join(root, 'ws'));
    const a = await importTinyIdx(ws, path.join(root, 'a'));
    const b = await importTinyIdx(ws, path.join(root, 'b'));
    const c = await importTinyIdx(ws, path.join(root, 'c'));
    ws.db.prepare("UPDATE datasets SET name = 'Fashion-MNIST' WHERE id = ?").run(a);
    ws.db.prepare("UPDATE datasets SET name = 'twin' WHERE id IN (?, ?)").run(b, c);
    ids = { a, b, c };
    ws.close();
  });
  afterAll(() => cleanup());

  it('resolves through the contract calls, exact names first, then ignoring case', async () => {
    const core: WorkbenchCore = openCore({ workspaceDir: path.join(root, 'ws') });
    try {
      const rt: Pick<CliRuntime, 'call'> = {
        call: (async (name: string, request: unknown) => {
          const env = await core.dispatch(name, request);
          if (!env.ok) throw new Error(env.error.message);
          return env.result;
        }) as CliRuntime['call'],
      };
      expect(await datasetRef(rt, '--dataset', 'Fashion-MNIST')).toBe(ids.a);
      expect(await datasetRef(rt, '--dataset', 'fashion-mnist')).toBe(ids.a);
      expect(await datasetRef(rt, '--dataset', String(ids.b))).toBe(ids.b);
      await expect(datasetRef(rt, '--dataset', 'twin')).rejects.toThrow(`--dataset: 2 datasets are named "twin" (ids ${ids.b}, ${ids.c}); give the id.`);
      await expect(datasetRef(rt, '--dataset', 'cifar')).rejects.toThrow(/--dataset: no dataset named "cifar"; the workspace has Fashion-MNIST \(\d+\), twin/);
      await expect(modelRef(rt, '--model', 'resnet')).rejects.toThrow('--model: no model named "resnet"; the workspace has none yet.');
      expect(() => positiveInt('--top-k', '1.5')).toThrow('--top-k must be a positive integer, not "1.5".');
    } finally {
      await core.close();
    }
  });

  it('works in the commands: datasets show by name, a refusal names the option', async () => {
    const ws = ['--workspace', path.join(root, 'ws')];
    const shown = await runWorkbench([...ws, '--json', 'datasets', 'show', 'fashion-mnist']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: ids.a, name: 'Fashion-MNIST' });
    const twin = await runWorkbench([...ws, 'datasets', 'splits', 'twin']);
    expect(twin.code).not.toBe(0);
    expect(twin.stderr).toContain('2 datasets are named "twin"');
  });
});
