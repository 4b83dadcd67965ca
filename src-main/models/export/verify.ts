/**
 * How close an exported model's outputs must be to the workbench's own
 * forward pass, relative to the largest |logit|.
 *
 * Both sides compute in float32 (unit roundoff 6e-8) but sum in different
 * orders: ONNX Runtime tiles its GEMMs and folds BatchNormalization into the
 * conv weights. Measured on every registry architecture with random BN
 * statistics (test/export/export-equivalence.test.ts, cpu backend): at most
 * 7e-7 relative, ResNet-110 included; on the wasm backend (XNNPACK sums in
 * its own order) at most 9.2e-7 (ResNet-110 and -56 at 32x32, ResNet-50 at
 * 64x64). The TF.js layers export is bit-identical on the cpu backend and
 * within 1.2e-7 on wasm. 1e-5 leaves more than 10x headroom, while a mapping mistake (a
 * kernel transposed the wrong way, a padding pixel on the wrong side, a
 * BatchNorm statistic swapped, the wrong input layout) moves logits by 1e-2
 * relative or more.
 */
export const EXPORT_RELATIVE_TOLERANCE = 1e-5;

export interface OutputComparison {
  maxAbsDiff: number;
  maxAbsReference: number;
  /** maxAbsDiff / max(1, maxAbsReference). */
  relative: number;
  ok: boolean;
}

export function compareOutputs(reference: ArrayLike<number>, other: ArrayLike<number>, tolerance = EXPORT_RELATIVE_TOLERANCE): OutputComparison {
  if (reference.length !== other.length) throw new Error(`Output sizes differ: ${reference.length} vs ${other.length} values.`);
  let maxAbsDiff = 0;
  let maxAbsReference = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const d = Math.abs(r - other[i]!);
    // NaN never compares greater: count it as an infinite difference.
    maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
    maxAbsReference = Math.max(maxAbsReference, Math.abs(r));
  }
  const relative = maxAbsDiff / Math.max(1, maxAbsReference);
  return { maxAbsDiff, maxAbsReference, relative, ok: relative <= tolerance };
}
