/**
 * The Market-1501 / DukeMTMC-reID evaluation protocol in plain TypeScript.
 *
 * Per query (methods.md, "Market-1501 and DukeMTMC-reID conventions"):
 * - good  = gallery images of the same person from a DIFFERENT camera;
 * - junk  = gallery images of the same person from the SAME camera, and every
 *           gallery image of person -1: removed from the ranking before scoring;
 * - everything else (other persons, distractor person 0) stays as a wrong match.
 * AP follows the reference's trapezoidal rule: for the i-th good hit (1-based) at
 * rank r_i (junk removed), AP += (1/ngood) * (p_old + p_i) / 2 with
 * p_i = i / r_i and p_old = (i-1) / (r_i - 1), or 1 when r_i = 1.
 * A query with no good match scores AP 0 and counts as a MISS at every CMC rank
 * (it stays in the denominator; the PyTorch port skips such queries instead).
 *
 * Typed arrays throughout so thousands of queries against ~20k gallery images
 * stay in the seconds range: each query's ranking is one native Float64Array sort.
 */

export interface ReidLabels {
  personIds: Int32Array;
  cameras: Int32Array;
}

export interface PerQueryResult {
  ap: Float64Array;
  /** 1-based rank of the first good match after junk removal, 0 when there is none. */
  firstGoodRank: Int32Array;
  /** [nq, topK] gallery indices of the full ranking (junk included), ascending distance. */
  topIndices: Int32Array;
  topK: number;
}

export interface EvaluationResult {
  /** cmc[k-1] = fraction of queries with a good match within the first k (junk removed). */
  cmc: Float64Array;
  mAP: number;
  queries: number;
  queriesWithoutGood: number;
  perQuery: PerQueryResult;
}

// Each ranking key packs the distance's float32 bit pattern (monotone for
// non-negative floats) above a 20-bit gallery index: one native numeric sort then
// orders by distance and breaks ties by gallery index, exactly (keys < 2^53).
const INDEX_BITS = 2 ** 20;
export const MAX_GALLERY = INDEX_BITS;

/**
 * Ranks one query's distance row. Returns gallery indices by ascending distance
 * (ties by index). NaN or negative distances are treated as +Infinity / 0.
 */
export function rankRow(row: Float32Array, keys: Float64Array = new Float64Array(row.length)): Int32Array {
  const n = row.length;
  if (n > MAX_GALLERY) throw new Error(`Gallery of ${n} images exceeds the evaluator's limit of ${MAX_GALLERY}.`);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (let j = 0; j < n; j++) {
    const d = row[j];
    f[0] = Number.isNaN(d) ? Infinity : d < 0 ? 0 : d;
    keys[j] = bits[0] * INDEX_BITS + j;
  }
  const sorted = keys.subarray(0, n).sort();
  const order = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const key = sorted[r];
    order[r] = key - Math.floor(key / INDEX_BITS) * INDEX_BITS;
  }
  return order;
}

export type Verdict = 0 | 1 | 2; // 0 wrong, 1 good, 2 junk
export const VERDICT_NAMES = ['wrong', 'good', 'junk'] as const;

/** good / junk / wrong of one gallery image for one query. */
export function verdictOf(qPerson: number, qCam: number, gPerson: number, gCam: number): Verdict {
  if (gPerson === -1) return 2;
  if (gPerson === qPerson) return gCam === qCam ? 2 : 1;
  return 0;
}

/** AP and first good rank of one ranked list under the protocol above. */
export function scoreRanking(order: Int32Array, qPerson: number, qCam: number, gallery: ReidLabels): { ap: number; firstGoodRank: number } {
  // Count good matches first: AP divides by their number.
  let ngood = 0;
  for (let j = 0; j < order.length; j++) if (verdictOf(qPerson, qCam, gallery.personIds[j], gallery.cameras[j]) === 1) ngood++;
  if (ngood === 0) return { ap: 0, firstGoodRank: 0 };
  let ap = 0;
  let rank = 0; // position after junk removal
  let hits = 0;
  let firstGoodRank = 0;
  for (let r = 0; r < order.length && hits < ngood; r++) {
    const g = order[r];
    const v = verdictOf(qPerson, qCam, gallery.personIds[g], gallery.cameras[g]);
    if (v === 2) continue;
    rank++;
    if (v !== 1) continue;
    hits++;
    if (firstGoodRank === 0) firstGoodRank = rank;
    const precision = hits / rank;
    const oldPrecision = rank === 1 ? 1 : (hits - 1) / (rank - 1);
    ap += (oldPrecision + precision) / 2 / ngood;
  }
  return { ap, firstGoodRank };
}

/**
 * Evaluates a query x gallery distance matrix (row-major [nq, ng]).
 * `maxRank` bounds the CMC curve; `topK` the stored ranked list per query.
 */
export function evaluateDistances(
  distances: Float32Array,
  query: ReidLabels,
  gallery: ReidLabels,
  options: { maxRank?: number; topK?: number } = {},
): EvaluationResult {
  const nq = query.personIds.length;
  const ng = gallery.personIds.length;
  if (distances.length !== nq * ng) throw new Error(`Distance matrix has ${distances.length} entries, expected ${nq} x ${ng}.`);
  if (query.cameras.length !== nq || gallery.cameras.length !== ng) throw new Error('Person id and camera arrays differ in length.');
  const maxRank = Math.max(1, Math.min(options.maxRank ?? 50, ng));
  const topK = Math.max(0, Math.min(options.topK ?? 0, ng));
  const hitsAt = new Float64Array(maxRank);
  const ap = new Float64Array(nq);
  const firstGoodRank = new Int32Array(nq);
  const topIndices = new Int32Array(nq * topK);
  const keys = new Float64Array(ng);
  let apSum = 0;
  let withoutGood = 0;
  for (let q = 0; q < nq; q++) {
    const order = rankRow(distances.subarray(q * ng, (q + 1) * ng), keys);
    const s = scoreRanking(order, query.personIds[q], query.cameras[q], gallery);
    ap[q] = s.ap;
    firstGoodRank[q] = s.firstGoodRank;
    apSum += s.ap;
    if (s.firstGoodRank === 0) withoutGood++;
    else if (s.firstGoodRank <= maxRank) hitsAt[s.firstGoodRank - 1] += 1;
    topIndices.set(order.subarray(0, topK), q * topK);
  }
  const cmc = new Float64Array(maxRank);
  let cumulative = 0;
  for (let k = 0; k < maxRank; k++) {
    cumulative += hitsAt[k];
    cmc[k] = nq === 0 ? 0 : cumulative / nq;
  }
  return {
    cmc,
    mAP: nq === 0 ? 0 : apSum / nq,
    queries: nq,
    queriesWithoutGood: withoutGood,
    perQuery: { ap, firstGoodRank, topIndices, topK },
  };
}

/** Euclidean distances between row-major feature sets [nq, dim] and [ng, dim] (small sets; runners use TF.js matMul). */
export function euclideanDistances(queryFeatures: Float32Array, galleryFeatures: Float32Array, dim: number): Float32Array {
  const nq = queryFeatures.length / dim;
  const ng = galleryFeatures.length / dim;
  const out = new Float32Array(nq * ng);
  for (let q = 0; q < nq; q++) {
    for (let g = 0; g < ng; g++) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = queryFeatures[q * dim + k] - galleryFeatures[g * dim + k];
        s += d * d;
      }
      out[q * ng + g] = Math.sqrt(s);
    }
  }
  return out;
}

/** CMC at the usual ranks (a missing rank, beyond the gallery size, repeats the last value). */
export function cmcAt(cmc: Float64Array, rank: number): number {
  if (cmc.length === 0) return 0;
  return cmc[Math.min(rank, cmc.length) - 1];
}

/** CMC curve from first-good ranks (0 = never): the same rule as evaluateDistances, for results merged over query chunks. */
export function cmcFromFirstGoodRanks(firstGoodRank: Int32Array, maxRank: number): Float64Array {
  const n = firstGoodRank.length;
  const hits = new Float64Array(Math.max(1, maxRank));
  for (const r of firstGoodRank) if (r > 0 && r <= hits.length) hits[r - 1] += 1;
  let cumulative = 0;
  for (let k = 0; k < hits.length; k++) {
    cumulative += hits[k];
    hits[k] = n === 0 ? 0 : cumulative / n;
  }
  return hits;
}
