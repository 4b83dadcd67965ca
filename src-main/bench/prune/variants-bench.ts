/**
 * `npm run bench:prune-variants`: on a short schedule, which soft-pruning variant
 * closes the gap to the unpruned baseline? ResNet-20 on Fashion-MNIST, rate 30%:
 * baseline, SFP with the paper's defaults, SFP + each variant (zeroBn,
 * noRegrowth, reestimateBn, all three), FPGM and BN-scale, for each seed.
 * Every pruned model is then hard-pruned by the real `model.compact` job, whose
 * measured latency gives the speed-up. Nothing is chosen on the test split: the
 * configs are fixed up front and the reported accuracy is the final one.
 *
 * Options: --epochs N (10) --limit N training images (6000, 10% held out)
 *          --test-limit N (5000) --batch N (64) --seeds 1,2 --only key,key
 *          --backend NAME --workspace DIR --data DIR
 */
import { parseArgs } from 'node:util';
import { openPruneBench } from './bench-workspace.ts';
import { trainJob } from '../../train/jobs.ts';
import { compactJob } from '../../models/jobs.ts';
import { runJobInProcess } from '../../core/jobs/in-process.ts';
import { flopsReport } from '../../models/cost.ts';
import { getModelRow } from '../../models/model-rows.ts';
import type { TrainResult } from '../../common/contract/train.ts';
import type { CompactResult } from '../../models/jobs.ts';
import { pruneVariantRuns } from '../../reproduce/entries/prune-variants.ts';
import { quickRecipe } from '../../reproduce/recipes.ts';
import { summarize, formatMeanSpread } from '../../reproduce/stats.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    limit: { type: 'string', default: '6000' },
    'test-limit': { type: 'string', default: '5000' },
    batch: { type: 'string', default: '64' },
    seeds: { type: 'string', default: '1,2' },
    only: { type: 'string' },
    backend: { type: 'string' },
    workspace: { type: 'string' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
  },
});

const log = (line: string): void => console.error(line);

interface Cells {
  acc: number;
  accBn: number | null;
  flopsCut: number | null;
  speedup: number | null;
  seconds: number;
}

async function main(): Promise<void> {
  const { engine, ws, wsDir, datasetId } = await openPruneBench({ backend: values.backend, data: values.data, workspace: values.workspace, prefix: 'wb-bench-variants-', log });

  const seeds = values.seeds.split(',').map(Number);
  const only = values.only ? new Set(values.only.split(',')) : null;
  const variants = pruneVariantRuns().filter((v) => !only || only.has(v.key));
  const results = new Map<string, Cells[]>();
  const started = Date.now();
  for (const seed of seeds) {
    for (const v of variants) {
      // The prune-variants reproduction's quick-scale config, with this bench's scale options.
      const scale = { limit: Number(values.limit), testLimit: Number(values['test-limit']), epochs: Number(values.epochs), batchSize: Number(values.batch) };
      const cfg = quickRecipe({ datasetId, seed }, { arch: 'resnet20', prune: v.prune, grayscale: true, scale });
      const t0 = Date.now();
      const out = await runJobInProcess(ws, trainJob, cfg, { log: (l) => log(`[${v.key} seed ${seed}] ${l}`) });
      if (out.status !== 'succeeded') throw new Error(`${v.key} seed ${seed}: ${out.error}`);
      const r = out.result as TrainResult;
      const model = ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(out.jobId) as { id: number };
      const seconds = (Date.now() - t0) / 1000;
      let speedup: number | null = null;
      let flopsCut: number | null = null;
      if (v.prune) {
        flopsCut = flopsReport(getModelRow(ws.db, model.id)).paperStyle?.reduction ?? null;
        const c = await runJobInProcess(ws, compactJob, { modelId: model.id, benchBatch: 64 }, { log: (l) => log(`[${v.key} compact] ${l}`) });
        if (c.status !== 'succeeded') throw new Error(`${v.key} compact: ${c.error}`);
        speedup = ((c.result as CompactResult).metrics as Record<string, number>).speedup ?? null;
      }
      const cells: Cells = { acc: r.metrics.testAccuracy ?? 0, accBn: r.metrics.accuracyBnRecalibrated, flopsCut, speedup, seconds };
      results.set(v.key, [...(results.get(v.key) ?? []), cells]);
      log(`[${v.key} seed ${seed}] test ${(cells.acc * 100).toFixed(2)}%, BN re-est. ${cells.accBn === null ? '-' : (cells.accBn * 100).toFixed(2) + '%'}, ${seconds.toFixed(0)} s; ${((Date.now() - started) / 1000).toFixed(0)} s total`);
    }
  }
  const baseline = summarize((results.get('baseline') ?? []).map((c) => c.acc * 100));
  const pct = (xs: (number | null)[]): string => {
    const v = xs.filter((x): x is number => x !== null).map((x) => x * 100);
    return v.length ? formatMeanSpread(summarize(v), 2) : '-';
  };
  const header = ['run', 'test acc (final, after mask)', 'gap to baseline', 'acc, BN re-estimated', 'FLOPs cut (paper-style)', 'compact speed-up (batch 64)', 'per-seed test acc', 'train s / run'];
  const rows = variants.map((v) => {
    const cs = results.get(v.key) ?? [];
    const acc = summarize(cs.map((c) => c.acc * 100));
    const speed = cs.map((c) => c.speedup).filter((x): x is number => x !== null);
    return [
      v.label,
      formatMeanSpread(acc, 2),
      v.prune && baseline.n > 0 ? `${(acc.mean - baseline.mean).toFixed(2)}` : '-',
      pct(cs.map((c) => c.accBn)),
      pct(cs.map((c) => c.flopsCut)),
      speed.length ? `x${formatMeanSpread(summarize(speed), 2)}` : '-',
      cs.map((c) => (c.acc * 100).toFixed(2)).join(' / '),
      `${summarize(cs.map((c) => c.seconds)).mean.toFixed(0)}`,
    ];
  });
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(
    `Engine: ${engine.backend}, ${engine.threads} threads; ResNet-20, Fashion-MNIST 28x28x1, ${values.limit} training images (10% held out for validation), ${values['test-limit']} test images, ${values.epochs} epochs, batch ${values.batch}, seeds ${values.seeds}; mean (min-max) over seeds.\n`,
  );
  console.log(table);
  console.log(`\nTotal ${((Date.now() - started) / 1000).toFixed(0)} s. Workspace: ${wsDir}`);
  ws.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
