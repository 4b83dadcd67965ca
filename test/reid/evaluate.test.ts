import { describe, it, expect } from 'vitest';
import { evaluateDistances, rankRow, scoreRanking, euclideanDistances, cmcAt } from '../../src-main/reid/evaluate.ts';

// One small gallery shared by the hand cases. Index: (person, camera).
//   g0 (1,c1)  g1 (2,c2)  g2 (1,c2)  g3 (0,c3) distractor  g4 (-1,c2) junk id  g5 (1,c3)  g6 (3,c1)
const gallery = {
  personIds: Int32Array.from([1, 2, 1, 0, -1, 1, 3]),
  cameras: Int32Array.from([1, 2, 2, 3, 2, 3, 1]),
};
const ascending = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];

describe('re-ID evaluator (Market-1501 protocol), hand-computed cases', () => {
  it('query 1@c1: junk g0 (same id, same cam) and g4 (id -1) removed, distractor g3 kept as wrong', () => {
    // Ranking by distance: g0 g1 g2 g3 g4 g5 g6. Junk removed -> g1(1) g2(2, good) g3(3) g5(4, good) g6(5).
    // ngood = 2 (g2, g5).
    // hit 1 at rank 2: p = 1/2, p_old = 0/1 = 0 -> (0 + 1/2)/2 / 2 = 1/8
    // hit 2 at rank 4: p = 2/4, p_old = 1/3      -> (1/3 + 1/2)/2 / 2 = 5/24
    // AP = 1/8 + 5/24 = 1/3; first good rank 2.
    const order = rankRow(Float32Array.from(ascending));
    const s = scoreRanking(order, 1, 1, gallery);
    expect(s.firstGoodRank).toBe(2);
    expect(s.ap).toBeCloseTo(1 / 3, 12);
  });

  it('query 1@c3: good at ranks 1 and 3, AP uses precision 1 as the starting point', () => {
    // good = g0 (c1), g2 (c2); junk = g5 (same cam 3), g4 (id -1).
    // Junk removed: g0(1, good) g1(2) g2(3, good) g3(4) g6(5).
    // hit 1 at rank 1: p = 1, p_old = 1 (rank 1)  -> (1 + 1)/2 / 2 = 1/2
    // hit 2 at rank 3: p = 2/3, p_old = 1/2      -> (1/2 + 2/3)/2 / 2 = 7/24
    // AP = 19/24.
    const s = scoreRanking(rankRow(Float32Array.from(ascending)), 1, 3, gallery);
    expect(s.firstGoodRank).toBe(1);
    expect(s.ap).toBeCloseTo(19 / 24, 12);
  });

  it('whole matrix: a query without good match scores AP 0 and is a miss at every CMC rank', () => {
    const rows = [
      ascending, // q0: person 1 cam 1 -> AP 1/3, first good 2 (above)
      ascending, // q1: person 2 cam 2 -> g1 is junk (same cam), no good at all -> AP 0, never a hit
      [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.05], // q2: person 3 cam 2 -> g6 (c1) good at rank 1, ngood 1 -> AP (1+1)/2 = 1
      ascending, // q3: person 1 cam 3 -> AP 19/24, first good 1 (above)
    ];
    const query = { personIds: Int32Array.from([1, 2, 3, 1]), cameras: Int32Array.from([1, 2, 2, 3]) };
    const r = evaluateDistances(Float32Array.from(rows.flat()), query, gallery, { topK: 3 });
    // mAP = (1/3 + 0 + 1 + 19/24) / 4 = (8 + 0 + 24 + 19) / 24 / 4 = 51/96
    expect(r.mAP).toBeCloseTo(51 / 96, 12);
    expect(r.queries).toBe(4);
    expect(r.queriesWithoutGood).toBe(1);
    // First good ranks: 2, none, 1, 1 -> CMC@1 = 2/4, CMC@2..7 = 3/4 (q1 stays in the denominator).
    expect(Array.from(r.cmc)).toEqual([0.5, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75]);
    expect(cmcAt(r.cmc, 20)).toBe(0.75); // beyond the 7-image gallery: the last value
    expect(Array.from(r.perQuery.firstGoodRank)).toEqual([2, 0, 1, 1]);
    // Stored top-3 of the FULL ranking (junk still listed, the explorer marks it).
    expect(Array.from(r.perQuery.topIndices.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(Array.from(r.perQuery.topIndices.subarray(6, 9))).toEqual([6, 5, 4]);
  });

  it('ties are broken by gallery index, NaN ranks last', () => {
    expect(Array.from(rankRow(Float32Array.from([0.5, 0.2, 0.5, 0.1, NaN, 0])))).toEqual([5, 3, 1, 0, 2, 4]);
  });

  it('euclidean distances of unit vectors', () => {
    // (1,0) vs (0,1): sqrt(2); (1,0) vs (1,0): 0; (0,1) vs (-1,0): sqrt(2)
    const d = euclideanDistances(Float32Array.from([1, 0, 0, 1]), Float32Array.from([0, 1, 1, 0, -1, 0]), 2);
    expect(Array.from(d).map((x) => Number(x.toFixed(6)))).toEqual([1.414214, 0, 2, 0, 1.414214, 1.414214]);
  });

  it('rejects a distance matrix of the wrong size', () => {
    expect(() => evaluateDistances(new Float32Array(5), { personIds: Int32Array.from([1]), cameras: Int32Array.from([1]) }, gallery)).toThrow(/expected 1 x 7/);
  });
});
