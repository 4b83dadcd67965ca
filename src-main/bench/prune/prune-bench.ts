/**
 * `npm run bench:prune`: ResNet-20 baseline vs SFP 30% vs PSFP 30% on real
 * data (Fashion-MNIST from the Debian package), same short schedule for all,
 * then hard pruning of both pruned models with measured inference speed-up.
 * Runs the real `train` and `model.compact` job runners in this process
 * against a fresh workspace, so the numbers come from the product's code path.
 *
 * Options: --epochs N (3) --limit N training images (4000) --test-limit N (2000)
 *          --batch N (64) --backend NAME (auto) --workspace DIR (temp)
 *          --no-finetune (skip SFP/PSFP from the trained baseline)
 */
import { parseArgs } from 'node:util';
import { openPruneBench } from './bench-workspace.ts';
import { quickRecipe } from '../../reproduce/recipes.ts';
import { trainJob } from '../../train/jobs.ts';
import { compactJob } from '../../models/jobs.ts';
import { runJobInProcess } from '../../core/jobs/in-process.ts';
import { flopsReport } from '../../models/cost.ts';
import { getModelRow } from '../../models/model-rows.ts';
import type { TrainConfigInput, TrainResult } from '../../common/contract/train.ts';
import type { CompactResult } from '../../models/jobs.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    limit: { type: 'string', default: '4000' },
    'test-limit': { type: 'string', default: '2000' },
    batch: { type: 'string', default: '64' },
    backend: { type: 'string' },
    workspace: { type: 'string' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    'no-finetune': { type: 'boolean', default: false },
  },
});

const log = (line: string): void => console.error(line);

async function main(): Promise<void> {
  const { engine, ws, wsDir, datasetId } = await openPruneBench({ backend: values.backend, data: values.data, workspace: values.workspace, prefix: 'wb-bench-prune-', log });

  const epochs = Number(values.epochs);
  // The quick scale's recipe (src-main/reproduce/recipes.ts) with this bench's sizes and seed 1.
  const scale = { limit: Number(values.limit), testLimit: Number(values['test-limit']), epochs, batchSize: Number(values.batch) };
  const base = (prune?: TrainConfigInput['prune']): TrainConfigInput => quickRecipe({ datasetId, seed: 1 }, { arch: 'resnet20', prune, grayscale: true, scale });
  // From scratch (the paper's "N" setting) with the baseline's schedule, then from the trained
  // baseline (the "Y" setting) with a 10x smaller learning rate, as fine-tuning would use.
  let baselineModelId = 0;
  const fromBaseline = (prune: TrainConfigInput['prune']): TrainConfigInput => {
    const { model: _model, ...rest } = base(prune);
    return { ...rest, parentModelId: baselineModelId, optimizer: { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 } };
  };
  const runs: { label: string; cfg: () => TrainConfigInput }[] = [
    { label: 'baseline', cfg: () => base() },
    { label: 'SFP 30%', cfg: () => base({ method: 'sfp', rate: 0.3, bnRecalibrationBatches: 8 }) },
    { label: 'PSFP 30%', cfg: () => base({ method: 'psfp', rate: 0.3, bnRecalibrationBatches: 8 }) },
    ...(values['no-finetune']
      ? []
      : [
          { label: 'SFP 30% from baseline, lr 0.01', cfg: () => fromBaseline({ method: 'sfp', rate: 0.3, bnRecalibrationBatches: 8 }) },
          { label: 'PSFP 30% from baseline, lr 0.01', cfg: () => fromBaseline({ method: 'psfp', rate: 0.3, bnRecalibrationBatches: 8 }) },
        ]),
  ];
  const rows: string[][] = [];
  const started = Date.now();
  for (const spec of runs) {
    const run = { label: spec.label, cfg: spec.cfg() };
    const out = await runJobInProcess(ws, trainJob, run.cfg, { log: (l) => log(`[${run.label}] ${l}`) });
    if (out.status !== 'succeeded') throw new Error(`${run.label}: ${out.error}`);
    const r = out.result as TrainResult;
    const model = ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(out.jobId) as { id: number };
    if (!run.cfg.prune) baselineModelId = model.id;
    let compactCells = ['-', '-', '-', '-', '-'];
    if (run.cfg.prune) {
      const c = await runJobInProcess(ws, compactJob, { modelId: model.id, benchBatch: 64 }, { log: (l) => log(`[${run.label} compact] ${l}`) });
      if (c.status !== 'succeeded') throw new Error(`${run.label} compact: ${c.error}`);
      const m = (c.result as CompactResult).metrics as Record<string, number>;
      const compactRow = ws.db.prepare('SELECT id FROM models WHERE job_id = ?').get(c.jobId) as { id: number };
      const f = flopsReport(getModelRow(ws.db, compactRow.id));
      // The same without scatter ops (residual-stream convs keep their zero filters).
      const k = await runJobInProcess(ws, compactJob, { modelId: model.id, benchBatch: 64, scatter: false }, { log: (l) => log(`[${run.label} compact, no scatter] ${l}`) });
      if (k.status !== 'succeeded') throw new Error(`${run.label} compact without scatter: ${k.error}`);
      const mk = (k.result as CompactResult).metrics as Record<string, number>;
      compactCells = [
        `${(f.reduction * 100).toFixed(1)}%`,
        `${(f.params / 1000).toFixed(1)}k`,
        `${m.parentLatencyMs!.toFixed(0)} -> ${m.latencyMs!.toFixed(0)} ms (x${m.speedup!.toFixed(2)})`,
        `${(mk.reduction! * 100).toFixed(1)}%, ${mk.parentLatencyMs!.toFixed(0)} -> ${mk.latencyMs!.toFixed(0)} ms (x${mk.speedup!.toFixed(2)})`,
        `${m.maxAbsDiff!.toExponential(1)} / ${mk.maxAbsDiff!.toExponential(1)}`,
      ];
    }
    const f = flopsReport(getModelRow(ws.db, model.id));
    rows.push([
      run.label,
      `${((r.metrics.testAccuracy ?? 0) * 100).toFixed(2)}%`,
      r.metrics.accuracyBnRecalibrated === null ? '-' : `${(r.metrics.accuracyBnRecalibrated * 100).toFixed(2)}%`,
      f.paperStyle ? `${(f.paperStyle.reduction * 100).toFixed(1)}%` : '-',
      `${(r.metrics.params / 1000).toFixed(1)}k`,
      ...compactCells,
      `${r.metrics.imagesPerSecond.toFixed(0)}`,
    ]);
    log(`[${run.label}] done after ${((Date.now() - started) / 1000).toFixed(0)} s total`);
  }
  const header = [
    'run',
    'test acc (after mask)',
    'acc, BN re-estimated',
    'FLOPs red. paper-style',
    'params',
    'compact: exact MACs red.',
    'compact params',
    'latency masked -> compact (batch 64)',
    'no-scatter compact: MACs red., latency',
    'max |diff| (both)',
    'train img/s',
  ];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(`Engine: ${engine.backend}, ${engine.threads} threads; ResNet-20, Fashion-MNIST 28x28x1, ${values.limit} training images (10% held out for validation), ${values['test-limit']} test images, ${epochs} epochs each, batch ${values.batch}, per-step cosine from lr 0.1 (0.01 from the baseline), Nesterov, wd 5e-4, pad-crop 2 + flip.\n`);
  console.log(table);
  console.log(`\nTotal ${((Date.now() - started) / 1000).toFixed(0)} s. Workspace: ${wsDir}`);
  ws.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
