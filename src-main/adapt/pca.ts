/**
 * Principal component analysis to 2-D for the embedding plot of `adapt.eval`.
 *
 * Written here rather than taken from ml-pca (the npm package a lab would
 * expect): adding a dependency changes the shared package.json and
 * node_modules, which this part of the tree does not own; swapping this file
 * for ml-pca's `new PCA(rows).predict(rows, { nComponents: 2 })` is a
 * one-line change when the dependency is added. The features are small
 * (tens to a few hundred dimensions, a few hundred rows), so the covariance
 * matrix and power iteration with deflation are exact enough and fast.
 */

export interface Projection {
  /** [n * 2], row-major: each row's coordinates on the two principal axes. */
  points: Float64Array;
  /** The two unit axes (each of length d). */
  axes: [Float64Array, Float64Array];
  /** Each axis's share of the total variance. */
  explained: [number, number];
}

/** The leading eigenvector and eigenvalue of a symmetric positive semi-definite d x d matrix (row-major), by power iteration. */
function leadingEigen(c: Float64Array, d: number): { vector: Float64Array; value: number } {
  // A fixed, non-degenerate start: the same input gives the same axes.
  let v = Float64Array.from({ length: d }, (_, i) => 1 + i / d);
  let value = 0;
  for (let iter = 0; iter < 1000; iter++) {
    const next = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += c[i * d + j]! * v[j]!;
      next[i] = s;
    }
    const norm = Math.hypot(...next);
    if (norm === 0) return { vector: v.map(() => 0), value: 0 };
    for (let i = 0; i < d; i++) next[i]! /= norm;
    let delta = 0;
    for (let i = 0; i < d; i++) delta = Math.max(delta, Math.abs(next[i]! - v[i]!));
    v = next;
    value = norm;
    if (delta < 1e-10) break;
  }
  // Sign fixed so the largest component is positive (an eigenvector's sign is arbitrary).
  let big = 0;
  for (let i = 0; i < d; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
  if (v[big]! < 0) v = v.map((x) => -x);
  return { vector: v, value };
}

/** Projects n rows of d features (row-major) onto their first two principal axes (centred on the mean). */
export function pca2(rows: Float32Array | Float64Array, n: number, d: number): Projection {
  if (rows.length !== n * d) throw new Error(`pca2: expected ${n} x ${d} values, got ${rows.length}.`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j]! += rows[r * d + j]! / n;
  const x = Float64Array.from(rows, (v, k) => v - mean[k % d]!);
  // Covariance [d, d] = X^T X / (n - 1).
  const c = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const xi = x[r * d + i]!;
      if (xi === 0) continue;
      for (let j = 0; j < d; j++) c[i * d + j]! += (xi * x[r * d + j]!) / Math.max(1, n - 1);
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += c[i * d + i]!;
  const first = leadingEigen(c, d);
  // Deflation: remove the first axis's variance, then the leading eigenvector of what is left is the second axis.
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) c[i * d + j]! -= first.value * first.vector[i]! * first.vector[j]!;
  const second = leadingEigen(c, d);
  const points = new Float64Array(n * 2);
  for (let r = 0; r < n; r++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      a += x[r * d + j]! * first.vector[j]!;
      b += x[r * d + j]! * second.vector[j]!;
    }
    points[r * 2] = a;
    points[r * 2 + 1] = b;
  }
  const share = (v: number): number => (trace > 0 ? v / trace : 0);
  return { points, axes: [first.vector, second.vector], explained: [share(first.value), share(Math.max(0, second.value))] };
}
