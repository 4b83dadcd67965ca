/**
 * Principal component analysis to 2-D for the embedding plot of `adapt.eval`,
 * on ml-pca (SVD of the centred rows). The sign of each axis is fixed so its
 * largest component is positive: an eigenvector's sign is arbitrary, and a
 * plot should not mirror between two evaluations of the same features.
 */
import { PCA } from 'ml-pca';

export interface Projection {
  /** [n * 2], row-major: each row's coordinates on the two principal axes. */
  points: Float64Array;
  /** The two unit axes (each of length d). */
  axes: [Float64Array, Float64Array];
  /** Each axis's share of the total variance. */
  explained: [number, number];
}

/** Projects n rows of d features (row-major) onto their first two principal axes (centred on the mean). */
export function pca2(rows: Float32Array | Float64Array, n: number, d: number): Projection {
  if (rows.length !== n * d) throw new Error(`pca2: expected ${n} x ${d} values, got ${rows.length}.`);
  // [n*d] row-major -> n rows of d features, as ml-pca takes them.
  const matrix = Array.from({ length: n }, (_, r) => Array.from(rows.subarray(r * d, (r + 1) * d)));
  const pca = new PCA(matrix, { center: true, scale: false });
  const vectors = pca.getEigenvectors(); // [d, min(n, d)]: column k is axis k
  const variance = pca.getExplainedVariance();
  const axis = (k: number): Float64Array => {
    if (k >= vectors.columns) return new Float64Array(d);
    const v = Float64Array.from(vectors.getColumn(k));
    let big = 0;
    for (let i = 0; i < d; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
    return v[big]! < 0 ? v.map((x) => -x) : v;
  };
  const axes: [Float64Array, Float64Array] = [axis(0), axis(1)];
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j]! += rows[r * d + j]! / n;
  const points = new Float64Array(n * 2);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const x = rows[r * d + j]! - mean[j]!;
      points[r * 2]! += x * axes[0][j]!;
      points[r * 2 + 1]! += x * axes[1][j]!;
    }
  }
  const share = (k: number): number => (Number.isFinite(variance[k]) ? variance[k]! : 0);
  return { points, axes, explained: [share(0), share(1)] };
}
