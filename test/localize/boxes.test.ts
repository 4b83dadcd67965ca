import { describe, it, expect } from 'vitest';
import {
  iou,
  bestIou,
  thresholdMap,
  connectedComponents,
  largestComponentBox,
  allComponentBoxes,
  normalizeMap,
  fixedThresholdLoc,
  boxAccCurve,
  maxBoxAccV2,
  pxap,
  centreBox,
  fixedBoxAccuracy,
  EMPTY_BOX,
  type Box,
  type LocItem,
  type ScoreMap,
} from '../../src-main/localize/boxes.ts';

/** A map from rows of numbers. */
function map(rows: number[][]): ScoreMap {
  return { values: Float32Array.from(rows.flat()), width: rows[0]!.length, height: rows.length };
}

describe('IoU', () => {
  it('hand cases', () => {
    // [0,0,2,2] vs [1,1,3,3]: intersection 1, union 4+4-1 = 7.
    expect(iou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 12);
    expect(iou([0, 0, 4, 2], [0, 0, 4, 2])).toBe(1);
    // Touching edges: no overlap.
    expect(iou([0, 0, 2, 2], [2, 0, 4, 2])).toBe(0);
    // Contained: 4 / 16.
    expect(iou([1, 1, 3, 3], [0, 0, 4, 4])).toBeCloseTo(0.25, 12);
    expect(iou(EMPTY_BOX, [0, 0, 1, 1])).toBe(0);
  });

  it('several ground-truth boxes: the best match counts', () => {
    const gts: Box[] = [[10, 10, 20, 20], [0, 0, 2, 2]];
    expect(bestIou([[0, 0, 2, 2]], gts)).toBe(1);
    expect(bestIou([[0, 0, 2, 2], [10, 10, 15, 20]], gts)).toBe(1);
    expect(bestIou([[10, 10, 15, 20]], gts)).toBeCloseTo(0.5, 12);
  });
});

describe('thresholds and connected components', () => {
  const m = map([
    [0.0, 0.9, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0, 0.3],
    [0.0, 0.0, 0.5, 0.0, 0.3],
    [0.0, 0.0, 0.0, 0.0, 0.0],
  ]);

  it('keeps pixels strictly above the fraction of the max', () => {
    expect([...thresholdMap(m, 0.3)]).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    // 0.3 * 1.0 = 0.3: the 0.3 pixels are not above it; at 0.2 they are.
    expect(thresholdMap(m, 0.2).reduce((a, b) => a + b, 0)).toBe(5);
    expect(thresholdMap(map([[0, 0], [0, 0]]), 0.2).every((v) => v === 0)).toBe(true);
  });

  it('8-connectivity: the diagonal 0.5 pixel joins the 0.9/1.0 column; the 0.3 column is separate', () => {
    const comps = connectedComponents(thresholdMap(m, 0.2), 5, 4);
    expect(comps).toEqual([
      { pixels: 3, box: [1, 0, 3, 3] },
      { pixels: 2, box: [4, 1, 5, 3] },
    ]);
    expect(largestComponentBox(m, 0.2)).toEqual([1, 0, 3, 3]);
    expect(allComponentBoxes(m, 0.2)).toEqual([[1, 0, 3, 3], [4, 1, 5, 3]]);
    // At 0.6 only the 0.9/1.0 column remains.
    expect(largestComponentBox(m, 0.6)).toEqual([1, 0, 2, 2]);
    // Nothing above the max: the empty box.
    expect(largestComponentBox(m, 1)).toEqual(EMPTY_BOX);
  });

  it('min-max normalisation', () => {
    expect([...normalizeMap(Float32Array.from([2, 4, 6]))]).toEqual([0, 0.5, 1]);
    expect([...normalizeMap(Float32Array.from([3, 3]))]).toEqual([0, 0]);
  });
});

describe('the fixed-threshold protocol (Top-1 / Top-5 / GT-known Loc)', () => {
  // 4x4 maps; the object is the 2x2 top-left block in each GT.
  const good = map([
    [1, 1, 0, 0],
    [1, 1, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  // Box of a 4x4 blob: IoU with [0,0,2,2] is 4/16 = 0.25 (miss).
  const wide = map(Array.from({ length: 4 }, () => [1, 1, 1, 1]));
  const gt: Box[] = [[0, 0, 2, 2]];
  const items: LocItem[] = [
    { map: good, label: 3, ranking: [3, 1, 2, 0, 4], boxes: gt }, // right class, hit
    { map: good, label: 3, ranking: [1, 3, 2, 0, 4], boxes: gt }, // class 2nd, hit
    { map: wide, label: 3, ranking: [3, 1, 2, 0, 4], boxes: gt }, // right class, miss
    { map: good, label: 3, ranking: [0, 1, 2, 4, 5, 3], boxes: gt }, // class 6th, hit
  ];

  it('counts each definition by hand', () => {
    const r = fixedThresholdLoc(items);
    expect(r.top1Cls).toBe(2 / 4);
    expect(r.top5Cls).toBe(3 / 4);
    expect(r.gtKnownLoc).toBe(3 / 4);
    expect(r.top1Loc).toBe(1 / 4); // only item 0
    expect(r.top5Loc).toBe(2 / 4); // items 0 and 1
    expect(r.ious.map((v) => Number(v.toFixed(4)))).toEqual([1, 1, 0.25, 1]);
  });

  it('IoU threshold is inclusive: 0.25 is a hit at 0.25', () => {
    expect(fixedThresholdLoc(items, 0.2, 0.25).gtKnownLoc).toBe(1);
  });
});

describe('MaxBoxAccV2 and the held-out threshold', () => {
  // A 1x10 strip with a ramp over the object [3,8): values rise to 1 at x=5.
  const ramp = map([[0, 0.1, 0.2, 0.6, 0.8, 1, 0.8, 0.6, 0.2, 0.1]]);
  const gtBox: Box[] = [[3, 0, 8, 1]];
  const item: LocItem = { map: ramp, label: 0, ranking: [0], boxes: gtBox };

  it('curve by hand at three thresholds', () => {
    // t=0:   pixels > 0 -> x 1..9 -> box [1,0,10,1]: IoU 5/9 = 0.556
    // t=0.5: pixels > 0.5 -> x 3..7 -> [3,0,8,1]: IoU 1
    // t=0.7: pixels > 0.7 -> x 4..6 -> [4,0,7,1]: IoU 3/5 = 0.6
    const c = boxAccCurve([item], [0, 0.5, 0.7], [0.3, 0.5, 0.7]);
    expect(c.accuracy).toEqual([
      [1, 1, 1],
      [1, 1, 1],
      [0, 1, 0],
    ]);
    const r = maxBoxAccV2(c);
    expect(r.maxBoxAccV2).toBe(1);
    // Ties pick the lowest threshold.
    expect(r.perIou.map((p) => p.threshold)).toEqual([0, 0, 0.5]);
  });

  it('all components: a second blob does not hurt V2 (best box over components)', () => {
    const twoBlobs = map([[1, 0, 0, 0.9, 0.9, 0.9, 0.9, 0.9, 0, 0]]);
    // Largest component [3,8) hits; the single pixel at x=0 is another component.
    const c = boxAccCurve([{ ...item, map: twoBlobs }], [0.5], [0.7]);
    expect(c.accuracy).toEqual([[1]]);
  });

  it('the threshold chosen on the held-out curve is applied to the test curve', () => {
    const select = { thresholds: [0.1, 0.2, 0.3], ious: [0.5], accuracy: [[0.2, 0.9, 0.5]], images: 10 };
    const test = { thresholds: [0.1, 0.2, 0.3], ious: [0.5], accuracy: [[0.8, 0.4, 0.6]], images: 10 };
    const r = maxBoxAccV2(select, test);
    expect(r.perIou).toEqual([{ iou: 0.5, threshold: 0.2, accuracy: 0.4 }]);
    expect(r.maxBoxAccV2).toBe(0.4);
    // Chosen on the test set itself it would read 0.8: the optimistic number.
    expect(maxBoxAccV2(test).maxBoxAccV2).toBe(0.8);
    expect(() => maxBoxAccV2(select, { ...test, thresholds: [0.1, 0.2, 0.4] })).toThrow(/different thresholds/);
  });
});

describe('PxAP', () => {
  it('hand case: 4 pixels, 2 positives', () => {
    // values 0.9 (pos), 0.6 (neg), 0.4 (pos), 0.1 (neg); thresholds 0, 0.5, 0.8.
    // t=0:   all 4 above -> P 2/4, R 1
    // t=0.5: 0.9, 0.6   -> P 1/2, R 1/2
    // t=0.8: 0.9        -> P 1,   R 1/2
    // AP = (1 - 1/2)*1/2 + (1/2 - 1/2)*1/2 + (1/2 - 0)*1 = 0.75
    const it: LocItem = { map: map([[0.9, 0.6, 0.4, 0.1]]), label: 0, ranking: [0], boxes: [], mask: Uint8Array.from([1, 0, 1, 0]) };
    expect(pxap([it], [0, 0.5, 0.8])).toBeCloseTo(0.75, 12);
    expect(pxap([{ ...it, mask: undefined }], [0, 0.5])).toBeNull();
  });
});

describe('trivial baselines', () => {
  it('centre box covers the middle half of each side; accuracy counts hits', () => {
    expect(centreBox(8, 4)).toEqual([2, 1, 6, 3]);
    const items = [{ boxes: [[2, 1, 6, 3]] as Box[] }, { boxes: [[0, 0, 1, 1]] as Box[] }];
    expect(fixedBoxAccuracy(items, () => centreBox(8, 4))).toBe(0.5);
  });
});
