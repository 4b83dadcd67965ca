/**
 * Where one SPGAN training step spends its time (tf.profile kernel times), at
 * the bench's CPU size. `npx tsx src-main/bench/spgan/profile-step.ts [backend] [H W width blocks batch]`
 */
import * as tf from '@tensorflow/tfjs-core';
import { SpganModel } from '../../spgan/spgan-model.ts';
import { spganConfigSchema } from '../../common/contract/spgan.ts';
import { startEngine } from '../../engine/start.ts';

const [backend, h, w, width, blocks, batch] = [process.argv[2] ?? 'auto', ...process.argv.slice(3).map(Number)];
const H = h || 64;
const W = w || 32;
console.log((await startEngine(backend)).backend);
const config = spganConfigSchema.parse({ sourceDatasetId: 1, targetDatasetId: 2, imageSize: [H, W], residualBlocks: blocks || 2, generatorWidth: width || 16, discriminatorWidth: width || 16, siameseWidth: width || 16, discriminatorLayers: H >= 64 ? 3 : 2, batchSize: batch || 4 });
let seed = 1;
const model = new SpganModel(config, () => ((seed = (seed * 16807) % 2147483647) / 2147483647));
const a = tf.randomUniform([config.batchSize, H, W, 3], -1, 1) as tf.Tensor4D;
const b = tf.randomUniform([config.batchSize, H, W, 3], -1, 1) as tf.Tensor4D;
model.trainStep(a, b, true);
const t0 = Date.now();
for (let i = 0; i < 5; i++) model.trainStep(a, b, true);
console.log(`step ${((Date.now() - t0) / 5).toFixed(0)} ms (mean of 5)`);
const prof = await tf.profile(() => {
  model.trainStep(a, b, true);
});
const agg = new Map<string, number>();
for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
const total = [...agg.values()].reduce((x, y) => x + y, 0);
for (const [name, ms] of [...agg.entries()].sort((x, y) => y[1] - x[1]).slice(0, 12)) console.log(`${name.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms ${((ms / total) * 100).toFixed(0)}%`);
