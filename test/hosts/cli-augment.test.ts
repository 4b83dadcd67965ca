import { describe, it, expect } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import type { ServiceContext } from '../../src-main/core/handler-types.ts';
import type { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { contract } from '../../src-main/common/contract/index.ts';
import { augmentHandlers } from '../../src-main/augment/api.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { tempDir, cifarRecords } from '../datasets/fixtures.ts';
import { runWorkbench } from '../helpers/cli.ts';

describe('workbench augment preview with a pipeline saved on the preview page', () => {
  it('takes the saved name and the shown sample ids and writes the pixels the page showed', async () => {
    const dir = tempDir('wb-ws-');
    const src = tempDir();
    const ws = Workspace.open(dir);
    const ctx: ServiceContext = { ws, jobs: null as unknown as JobManager, events: new EventBus() };
    try {
      writeFileSync(`${src}/data_batch_1.bin`, cifarRecords(12, 1, (r) => [r % 10]));
      writeFileSync(`${src}/test_batch.bin`, cifarRecords(4, 1, () => [0]));
      const datasetId = (await importDirect(ws, { path: src })).report.datasetId!;
      const spec = { steps: [{ transform: 'randomErasing', options: { p: 1 } }, { transform: 'patchShuffle', options: { n: 2, p: 0.5 } }] };
      await augmentHandlers['augment.pipelines.save'](contract['augment.pipelines.save'].request.parse({ name: 'erase+shuffle', spec }), ctx);
      // What the page sends after a re-roll: fixed images, a new seed.
      const shown = await augmentHandlers['augment.preview'](contract['augment.preview'].request.parse({ datasetId, pipeline: spec, seed: 123456, sampleIds: [3, 7] }), ctx);
      ws.close();

      const out = path.join(src, 'out');
      const cli = await runWorkbench(['--workspace', dir, 'augment', 'preview', '--dataset', String(datasetId), '--pipeline', 'erase+shuffle', '--seed', '123456', '--samples', '3,7', '--out', out]);
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      shown.items.forEach((item, k) => {
        const written = readFileSync(path.join(out, `${String(k).padStart(3, '0')}-sample${item.sampleId}-augmented.png`));
        expect(written.equals(Buffer.from(item.augmented.split(',')[1]!, 'base64'))).toBe(true);
      });

      // --image-seed keeps the images while --seed re-draws the parameters, as the page's "New seed" does.
      const chosen = async (seed: number, imageSeed: number): Promise<{ ids: number[]; params: string }> => {
        const o = path.join(src, `out-${seed}-${imageSeed}`);
        const r = await runWorkbench(['--workspace', dir, '--json', 'augment', 'preview', '--dataset', String(datasetId), '--pipeline', 'erase+shuffle', '--seed', String(seed), '--image-seed', String(imageSeed), '--count', '4', '--out', o]);
        expect(r.code).toBe(0);
        const doc = JSON.parse(r.stdout) as { files: { sampleId: number }[]; params: unknown[] };
        return { ids: doc.files.map((f) => f.sampleId), params: JSON.stringify(doc.params) };
      };
      const [a, b, c] = [await chosen(1, 5), await chosen(2, 5), await chosen(1, 6)];
      expect(b.ids).toEqual(a.ids);
      expect(b.params).not.toBe(a.params);
      expect(c.ids).not.toEqual(a.ids);

      const unknown = await runWorkbench(['--workspace', dir, 'augment', 'preview', '--dataset', String(datasetId), '--pipeline', 'no such pipeline', '--out', out]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(/no such pipeline/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(src, { recursive: true, force: true });
    }
  });
});
