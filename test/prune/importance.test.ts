/**
 * The importance criteria registry: every criterion scores four 2-value filters
 * (a [1,1,2,4] kernel) with hand-computed values, and the ranking (lowest
 * first, the order filters are pruned in) is checked. A criterion added to the
 * contract without a row here fails to type-check.
 *
 * Filters (columns): F0 = (3, 0), F1 = (1, 1), F2 = (0, -1.8), F3 = (-0.5, 0.5)
 * - l2: 3, 1.414, 1.8, 0.707                     -> 3, 1, 2, 0
 * - l1: 3, 2, 1.8, 1                             -> 3, 2, 1, 0
 * - fpgm: d01 = sqrt5, d02 = sqrt12.24, d03 = sqrt12.5, d12 = sqrt8.84, d13 = sqrt2.5,
 *   d23 = sqrt5.54; sums 9.271, 6.790, 8.826, 7.471 -> 1, 3, 2, 0
 * - bn-scale: gamma (0.2, -0.9, 0.5, -0.1)        -> 3, 0, 2, 1
 * - taylor: G0 = (0.1, 5), G1 = (-1, -1), G2 = (0, 0.5), G3 = (1, -1);
 *   |G.W| = 0.3, 2, 0.9, 1                         -> 0, 2, 3, 1
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../models/tf-setup.ts';
import { pruneCriteria, type PruneCriterion } from '../../src-main/common/contract/prune.ts';
import { importanceCriteria } from '../../src-main/prune/importance.ts';
import { smallestFilters } from '../../src-main/prune/sfp-mask.ts';

beforeAll(async () => {
  await useCpu();
});

const s = Math.sqrt;
const expected: Record<PruneCriterion, { scores: number[]; ranking: number[] }> = {
  l2: { scores: [3, s(2), 1.8, s(0.5)], ranking: [3, 1, 2, 0] },
  l1: { scores: [3, 2, 1.8, 1], ranking: [3, 2, 1, 0] },
  fpgm: { scores: [s(5) + s(12.24) + s(12.5), s(5) + s(8.84) + s(2.5), s(12.24) + s(8.84) + s(5.54), s(12.5) + s(2.5) + s(5.54)], ranking: [1, 3, 2, 0] },
  'bn-scale': { scores: [0.2, 0.9, 0.5, 0.1], ranking: [3, 0, 2, 1] },
  taylor: { scores: [0.3, 2, 0.9, 1], ranking: [0, 2, 3, 1] },
};

describe('importance criteria', () => {
  it.each([...pruneCriteria])('%s scores and ranks the filters as computed by hand', (name) => {
    // kernel[0,0,i,j] = F_j[i]
    const kernel = tf.tensor4d([3, 1, 0, -0.5, 0, 1, -1.8, 0.5], [1, 1, 2, 4]);
    const gamma = tf.tensor1d([0.2, -0.9, 0.5, -0.1]);
    const gradSum = tf.tensor4d([0.1, -1, 0, 1, 5, -1, 0.5, -1], [1, 1, 2, 4]);
    try {
      const scores = Array.from(importanceCriteria[name].score({ kernel, gamma, gradSum }));
      const want = expected[name];
      scores.forEach((v, j) => expect(v).toBeCloseTo(want.scores[j]!, 4));
      const ranking = [0, 1, 2, 3].sort((a, b) => scores[a]! - scores[b]!);
      expect(ranking).toEqual(want.ranking);
      // At rate 0.5 the mask takes the two lowest.
      expect(smallestFilters(scores, 0.5)).toEqual(want.ranking.slice(0, 2).sort((a, b) => a - b));
    } finally {
      tf.dispose([kernel, gamma, gradSum]);
    }
  });
});
