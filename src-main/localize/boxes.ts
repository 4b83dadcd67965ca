/**
 * Boxes from score maps and the two localization protocols, in plain
 * TypeScript on typed arrays (no TF.js), so they are tested by hand.
 *
 * Coordinates: a box is [x0, y0, x1, y1] in continuous pixel coordinates with
 * exclusive ends (pixel (c, r) covers [c, c+1) x [r, r+1)), the convention of
 * the datasets' stored boxes; its area is (x1-x0)*(y1-y0). A map is row-major,
 * `width * height` values.
 */

export type Box = [number, number, number, number];

export interface ScoreMap {
  values: Float32Array;
  width: number;
  height: number;
}

/** The empty box (no pixel passed the threshold): IoU 0 with everything. */
export const EMPTY_BOX: Box = [0, 0, 0, 0];

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union; 0 when either box is empty. */
export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Best IoU of any predicted box with any ground-truth box (several GT boxes: a hit on any counts). */
export function bestIou(predicted: readonly Box[], truth: readonly Box[]): number {
  let best = 0;
  for (const p of predicted) for (const t of truth) best = Math.max(best, iou(p, t));
  return best;
}

/** Min-max normalisation to [0, 1]; a constant map becomes all zeros. */
export function normalizeMap(values: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(values.length);
  const range = hi - lo;
  if (!(range > 0)) return out;
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - lo) / range;
  return out;
}

/**
 * Pixels strictly above `fraction` times the map's maximum (OpenCV's
 * THRESH_BINARY, as the CAM and wsolevaluation code threshold), 1 = kept.
 * A map whose maximum is <= 0 keeps nothing.
 */
export function thresholdMap(map: ScoreMap, fraction: number): Uint8Array {
  let hi = -Infinity;
  for (const v of map.values) if (v > hi) hi = v;
  const mask = new Uint8Array(map.values.length);
  if (!(hi > 0)) return mask;
  // Compared in float32, the maps' precision (0.3f must not pass a 0.3 threshold of a max of 1).
  const t = Math.fround(fraction * hi);
  for (let i = 0; i < mask.length; i++) mask[i] = map.values[i]! > t ? 1 : 0;
  return mask;
}

export interface Component {
  pixels: number;
  box: Box;
}

/** 8-connected components of a 0/1 mask, each with its pixel count and bounding box, largest first (ties: scan order). */
export function connectedComponents(mask: Uint8Array, width: number, height: number): Component[] {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} values, expected ${width}x${height}.`);
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const out: Component[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let pixels = 0;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    while (top > 0) {
      const p = stack[--top]!;
      const r = Math.floor(p / width);
      const c = p - r * width;
      pixels++;
      if (c < x0) x0 = c;
      if (c > x1) x1 = c;
      if (r < y0) y0 = r;
      if (r > y1) y1 = r;
      for (let dr = -1; dr <= 1; dr++) {
        const rr = r + dr;
        if (rr < 0 || rr >= height) continue;
        for (let dc = -1; dc <= 1; dc++) {
          const cc = c + dc;
          if (cc < 0 || cc >= width) continue;
          const q = rr * width + cc;
          if (mask[q] && !seen[q]) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    out.push({ pixels, box: [x0, y0, x1 + 1, y1 + 1] });
  }
  // Stable sort keeps scan order among equal sizes.
  return out.map((c, i) => ({ c, i })).sort((a, b) => b.c.pixels - a.c.pixels || a.i - b.i).map((e) => e.c);
}

/** The CAM/SPG box: bounding box of the largest component of the map thresholded at `fraction` of its max; EMPTY_BOX when nothing passes. */
export function largestComponentBox(map: ScoreMap, fraction: number): Box {
  const comps = connectedComponents(thresholdMap(map, fraction), map.width, map.height);
  return comps.length > 0 ? comps[0]!.box : EMPTY_BOX;
}

/** Boxes of every component (MaxBoxAccV2's "multi-contour" estimate); [EMPTY_BOX] when nothing passes. */
export function allComponentBoxes(map: ScoreMap, fraction: number): Box[] {
  const comps = connectedComponents(thresholdMap(map, fraction), map.width, map.height);
  return comps.length > 0 ? comps.map((c) => c.box) : [EMPTY_BOX];
}

/** Scales boxes from a (fromW x fromH) image to (toW x toH). */
export function scaleBoxes(boxes: readonly Box[], fromW: number, fromH: number, toW: number, toH: number): Box[] {
  const sx = toW / fromW;
  const sy = toH / fromH;
  return boxes.map((b) => [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy]);
}

// ---------------------------------------------------------------- protocols

/** One evaluated image: the normalised map of the ground-truth class, the class ranking, and the ground truth. */
export interface LocItem {
  /** Map of the ground-truth class at image resolution (GT-known; also the top-1 map when the top-1 class is right). */
  map: ScoreMap;
  label: number;
  /** Predicted classes, best first (at least 1; 5 for Top-5 Loc). */
  ranking: readonly number[];
  /** Ground-truth boxes in map pixels; several = a hit on any. */
  boxes: readonly Box[];
  /** Optional ground-truth object mask (1 = object), for PxAP. */
  mask?: Uint8Array;
}

export interface FixedThresholdResult {
  /** Fractions 0..1. */
  top1Cls: number;
  top5Cls: number;
  top1Loc: number;
  top5Loc: number;
  gtKnownLoc: number;
  /** IoU of each image's box (largest component of the GT-class map) with its best GT box. */
  ious: number[];
  threshold: number;
  iouThreshold: number;
  images: number;
}

/**
 * The CAM/SPG protocol: one fixed threshold (default 0.2), the largest
 * component's box, a hit at IoU >= 0.5. Top-1 Loc: top-1 class right AND hit;
 * Top-5 Loc: the GT class among the top 5 AND hit (the GT class's map);
 * GT-known Loc: hit with the GT class's map whatever the prediction.
 */
export function fixedThresholdLoc(items: readonly LocItem[], threshold = 0.2, iouThreshold = 0.5): FixedThresholdResult {
  let top1Cls = 0;
  let top5Cls = 0;
  let top1Loc = 0;
  let top5Loc = 0;
  let gtKnown = 0;
  const ious: number[] = [];
  for (const it of items) {
    if (it.ranking.length === 0) throw new Error('ranking: an item has no predicted class.');
    const v = bestIou([largestComponentBox(it.map, threshold)], it.boxes);
    ious.push(v);
    const hit = v >= iouThreshold;
    const c1 = it.ranking[0] === it.label;
    const c5 = it.ranking.slice(0, 5).includes(it.label);
    if (c1) top1Cls++;
    if (c5) top5Cls++;
    if (hit) gtKnown++;
    if (hit && c1) top1Loc++;
    if (hit && c5) top5Loc++;
  }
  const n = Math.max(items.length, 1);
  return { top1Cls: top1Cls / n, top5Cls: top5Cls / n, top1Loc: top1Loc / n, top5Loc: top5Loc / n, gtKnownLoc: gtKnown / n, ious, threshold, iouThreshold, images: items.length };
}

/** The default sweep of wsolevaluation: 0, 0.01, ..., 0.99. */
export function defaultThresholds(step = 0.01): number[] {
  const n = Math.round(1 / step);
  return Array.from({ length: n }, (_, i) => Number((i * step).toFixed(6)));
}

export const MAX_BOX_ACC_IOUS = [0.3, 0.5, 0.7] as const;

/** Box accuracy at every (IoU threshold, map threshold): accuracy[d][t], GT-class maps, boxes of all components (V2). */
export interface BoxAccCurve {
  thresholds: number[];
  ious: number[];
  accuracy: number[][];
  images: number;
}

export function boxAccCurve(items: readonly LocItem[], thresholds: readonly number[] = defaultThresholds(), ious: readonly number[] = MAX_BOX_ACC_IOUS): BoxAccCurve {
  const hits = ious.map(() => new Array<number>(thresholds.length).fill(0));
  for (const it of items) {
    thresholds.forEach((t, ti) => {
      const v = bestIou(allComponentBoxes(it.map, t), it.boxes);
      ious.forEach((d, di) => {
        if (v >= d) hits[di]![ti]!++;
      });
    });
  }
  const n = Math.max(items.length, 1);
  return { thresholds: [...thresholds], ious: [...ious], accuracy: hits.map((row) => row.map((h) => h / n)), images: items.length };
}

export interface MaxBoxAccResult {
  /** Mean over the IoU thresholds of the accuracy at the chosen map threshold, 0..1. */
  maxBoxAccV2: number;
  /** Per IoU threshold: the chosen map threshold and the accuracy there. */
  perIou: { iou: number; threshold: number; accuracy: number }[];
}

/**
 * MaxBoxAccV2. With one curve: the best threshold per IoU on that same set
 * (an optimistic number). With `test`: the threshold is chosen on `select`
 * (the held-out split) and the accuracy read on `test`, as Choe et al. require.
 * Ties pick the lowest threshold.
 */
export function maxBoxAccV2(select: BoxAccCurve, test: BoxAccCurve = select): MaxBoxAccResult {
  if (select.thresholds.join() !== test.thresholds.join() || select.ious.join() !== test.ious.join()) {
    throw new Error('maxBoxAccV2: the held-out and test curves use different thresholds or IoUs.');
  }
  const perIou = select.ious.map((d, di) => {
    const row = select.accuracy[di]!;
    let best = 0;
    for (let t = 1; t < row.length; t++) if (row[t]! > row[best]!) best = t;
    return { iou: d, threshold: select.thresholds[best]!, accuracy: test.accuracy[di]![best]! };
  });
  return { maxBoxAccV2: perIou.reduce((s, p) => s + p.accuracy, 0) / Math.max(perIou.length, 1), perIou };
}

/**
 * PxAP (pixel average precision): every pixel of every item is a detection
 * scored by its map value; precision and recall of "map > t" against the masks
 * over the thresholds, AP = sum over thresholds of (recall drop) * precision,
 * as wsolevaluation computes it. Items without a mask are skipped; null when none has one.
 */
export function pxap(items: readonly LocItem[], thresholds: readonly number[] = defaultThresholds()): number | null {
  const tp = new Array<number>(thresholds.length).fill(0);
  const fp = new Array<number>(thresholds.length).fill(0);
  let positives = 0;
  let any = false;
  for (const it of items) {
    if (!it.mask) continue;
    if (it.mask.length !== it.map.values.length) throw new Error(`mask: ${it.mask.length} pixels for a ${it.map.width}x${it.map.height} map.`);
    any = true;
    for (let i = 0; i < it.mask.length; i++) {
      const v = it.map.values[i]!;
      const pos = it.mask[i] === 1;
      if (pos) positives++;
      for (let t = 0; t < thresholds.length; t++) {
        if (v > thresholds[t]!) {
          if (pos) tp[t]!++;
          else fp[t]!++;
        } else break; // thresholds ascend
      }
    }
  }
  if (!any) return null;
  // Ascending thresholds: recall falls; the point past the last threshold has recall 0.
  const precision = thresholds.map((_, t) => (tp[t]! + fp[t]! > 0 ? tp[t]! / (tp[t]! + fp[t]!) : 1));
  const recall = thresholds.map((_, t) => (positives > 0 ? tp[t]! / positives : 0));
  let ap = 0;
  for (let t = 0; t < thresholds.length; t++) ap += (recall[t]! - (recall[t + 1] ?? 0)) * precision[t]!;
  return ap;
}

/** Trivial baselines that need no model: the centre box (half the side, centred) and the whole image. */
export function centreBox(width: number, height: number, fraction = 0.5): Box {
  const w = width * fraction;
  const h = height * fraction;
  return [(width - w) / 2, (height - h) / 2, (width + w) / 2, (height + h) / 2];
}

export function wholeImageBox(width: number, height: number): Box {
  return [0, 0, width, height];
}

/** Fraction of items whose fixed box hits a GT box at `iouThreshold` (GT-known: no class involved). */
export function fixedBoxAccuracy(items: readonly { boxes: readonly Box[] }[], box: (i: number) => Box, iouThreshold = 0.5): number {
  let hits = 0;
  items.forEach((it, i) => {
    if (bestIou([box(i)], it.boxes) >= iouThreshold) hits++;
  });
  return hits / Math.max(items.length, 1);
}
