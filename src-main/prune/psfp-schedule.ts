/**
 * PSFP's progressive pruning rate: P_i = a*exp(-k*i) + b through P_0 = 0,
 * P_(D*M) = 3P/4 and P_M = P (M epochs, target P, D = 1/8 by default).
 *
 * With b = -a (from P_0 = 0) and q = exp(-k*D*M), the two other points give
 * (1 - q) / (1 - q^(1/D)) = 3/4, which has exactly one root in (0, 1) for
 * D < 3/4 (the left side falls from 1 at q=0 to D at q=1); bisection finds it
 * to machine precision. Then k = -ln(q)/(D*M) and a = -P / (1 - q^(1/D)).
 */
export interface PsfpCurve {
  a: number;
  b: number;
  k: number;
  /** Total epochs M and target P the curve was fitted for. */
  epochs: number;
  target: number;
}

export function fitPsfp(target: number, epochs: number, d = 1 / 8): PsfpCurve {
  if (!(target >= 0 && target < 1)) throw new Error(`PSFP target rate must be in [0, 1), got ${target}.`);
  if (!(epochs >= 1)) throw new Error(`PSFP needs at least one epoch, got ${epochs}.`);
  if (!(d > 0 && d < 0.75)) throw new Error(`PSFP D must be in (0, 0.75), got ${d}.`);
  if (target === 0) return { a: 0, b: 0, k: 0, epochs, target };
  const ratio = (q: number): number => (1 - q) / (1 - Math.pow(q, 1 / d));
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (ratio(mid) > 0.75) lo = mid;
    else hi = mid;
  }
  const q = (lo + hi) / 2;
  const a = -target / (1 - Math.pow(q, 1 / d));
  return { a, b: -a, k: -Math.log(q) / (d * epochs), epochs, target };
}

/** Rate after `epoch` epochs (0 = before training); exactly the target from the last epoch on. */
export function psfpRate(curve: PsfpCurve, epoch: number): number {
  if (epoch >= curve.epochs) return curve.target;
  if (epoch <= 0) return 0;
  return Math.min(curve.target, Math.max(0, curve.a * Math.exp(-curve.k * epoch) + curve.b));
}
