/**
 * Speed of the pure-TypeScript evaluator at Market-1501 scale: 3,368 queries x
 * 19,732 gallery images (the real test split sizes) with random labels
 * (751 ids, 6 cameras, some junk and distractors) and random distances.
 * Measures only the ranking + CMC/mAP part (reid.eval computes the distances
 * with TF.js beforehand, in query chunks of the same size as here).
 *
 *   npm run bench:reid-eval [-- --queries N --gallery N]
 */
import { evaluateDistances } from '../../reid/evaluate.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const nq = opt('queries', 3368);
const ng = opt('gallery', 19732);

let seed = 12345;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
const ids = (n: number): Int32Array => Int32Array.from({ length: n }, () => 1 + Math.floor(rand() * 751));
const cams = (n: number): Int32Array => Int32Array.from({ length: n }, () => 1 + Math.floor(rand() * 6));
const query = { personIds: ids(nq), cameras: cams(nq) };
const gallery = { personIds: ids(ng), cameras: cams(ng) };
for (let g = 0; g < ng; g += 10) gallery.personIds[g] = g % 20 === 0 ? 0 : -1; // 5% distractors, 5% junk

const chunk = Math.max(1, Math.floor(8_000_000 / ng)); // as in eval-runner.ts
const t0 = Date.now();
let apSum = 0;
for (let start = 0; start < nq; start += chunk) {
  const n = Math.min(chunk, nq - start);
  const d = new Float32Array(n * ng);
  for (let i = 0; i < d.length; i++) d[i] = rand() * 2;
  const r = evaluateDistances(d, { personIds: query.personIds.subarray(start, start + n), cameras: query.cameras.subarray(start, start + n) }, gallery, { topK: 100 });
  for (const ap of r.perQuery.ap) apSum += ap;
}
const seconds = (Date.now() - t0) / 1000;
console.log(JSON.stringify({ queries: nq, gallery: ng, seconds, queriesPerSecond: nq / seconds, mAPOfRandomDistances: apSum / nq, note: 'includes generating the random distance matrix' }));
