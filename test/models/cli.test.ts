import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { createModel } from '../../src-main/models/registry.ts';
import { disposeModel } from '../../src-main/nn/init.ts';
import type { ModelComparison } from '../../src-main/common/contract/models.ts';
import { runWorkbench } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp-workspace.ts';
import { addWorkspaceModel } from './workspace-models.ts';

/** The real `workbench` command: models export / import / compare. */
describe('workbench models export, import, compare', () => {
  let root: string;
  let wsDir: string;
  let cleanup: () => void;
  let ids: number[];
  let modelDir: string;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const t = tempDir();
    root = t.dir;
    cleanup = t.cleanup;
    wsDir = path.join(root, 'ws');
    const ws = Workspace.open(wsDir);
    const a = createModel('resnet20', { inputSize: [8, 8], widthMultiplier: 0.5 }, 1);
    const b = createModel('resnet32', { inputSize: [8, 8], widthMultiplier: 0.5 }, 2);
    ids = [await addWorkspaceModel(ws, a, { name: 'a', metrics: { accuracy: 0.8 } }), await addWorkspaceModel(ws, b, { name: 'b' })];
    modelDir = path.join(ws.artifactsDir, 'models', 'a');
    disposeModel(a);
    disposeModel(b);
    ws.close();
  });
  afterAll(() => cleanup());

  it('exports to --out and prints the files with their hashes as one JSON document', async () => {
    const out = path.join(root, 'out');
    const r = await runWorkbench(['--workspace', wsDir, '--json', 'models', 'export', String(ids[0]), '--format', 'onnx', '--out', out, '--backend', 'cpu'], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { files: { copiedTo: string; sha256: string }[]; verification: { ok: boolean } };
    expect(result.verification.ok).toBe(true);
    expect(result.files).toHaveLength(1);
    const copied = result.files[0]!.copiedTo;
    expect(path.dirname(copied)).toBe(out);
    expect(createHash('sha256').update(readFileSync(copied)).digest('hex')).toBe(result.files[0]!.sha256);
  });

  it('refuses a corrupt model folder on import with one line on stderr', async () => {
    const corrupt = path.join(root, 'corrupt');
    cpSync(modelDir, corrupt, { recursive: true });
    const bin = readFileSync(path.join(corrupt, 'weights.bin'));
    bin[10] = bin[10]! ^ 0x01;
    writeFileSync(path.join(corrupt, 'weights.bin'), bin);
    const r = await runWorkbench(['--workspace', wsDir, 'models', 'import', corrupt, '--backend', 'cpu'], { timeoutMs: 120_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^workbench: Job \d+ failed: .*checksum mismatch/m);
    const ws = Workspace.open(wsDir, { readonly: true });
    const count = (ws.db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n;
    ws.close();
    expect(count).toBe(2);
  });

  it('compares models as JSON and as a table', async () => {
    const json = await runWorkbench(['--workspace', wsDir, '--json', 'models', 'compare', String(ids[0]), String(ids[1])]);
    expect(json.code, json.stderr).toBe(0);
    const c = JSON.parse(json.stdout) as ModelComparison;
    expect(c.models.map((m) => [m.name, m.arch, m.accuracy])).toEqual([
      ['a', 'resnet20', 0.8],
      ['b', 'resnet32', null],
    ]);
    expect(c.models[1]!.flops).toBeGreaterThan(c.models[0]!.flops);
    const text = await runWorkbench(['--workspace', wsDir, 'models', 'compare', String(ids[0]), String(ids[1])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^id\s+name\s+arch/);
    const bad = await runWorkbench(['--workspace', wsDir, 'models', 'compare', String(ids[0]), '77']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/^workbench: No model with id 77\. \(field ids\.1\)\n$/);
  });
});
