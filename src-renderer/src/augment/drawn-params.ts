import type { DrawnStep } from '../../../src-main/common/contract/index.ts';

/** The erased rectangle a Random Erasing draw produced, if it erased anything. */
export function erasedBox(steps: DrawnStep[]): { top: number; left: number; width: number; height: number } | null {
  for (const step of steps) {
    const p = step.params;
    if (step.enabled && step.transform === 'randomErasing' && p.erase === true) {
      return { top: Number(p.top), left: Number(p.left), width: Number(p.width), height: Number(p.height) };
    }
  }
  return null;
}

/** Whether PatchShuffle shuffled this sample: null when the pipeline has no shuffle step. */
export function shuffled(steps: DrawnStep[]): boolean | null {
  const step = steps.find((s) => s.transform === 'patchShuffle');
  if (!step) return null;
  return step.enabled && Array.isArray(step.params.applied) && (step.params.applied as boolean[]).some(Boolean);
}

const hidden = new Set(['permSeed', 'fillSeed', 'randomRange']);

/** One short line per step, e.g. "padCrop top=3 left=6". */
export function describeStep(step: DrawnStep): string {
  if (!step.enabled) return `${step.transform}: off`;
  const parts = Object.entries(step.params)
    .filter(([k]) => !hidden.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(3) : Array.isArray(v) ? `[${v.map((x) => (typeof x === 'number' ? +x.toFixed(3) : String(x))).join(',')}]` : String(v)}`);
  return `${step.transform}${parts.length ? ' ' + parts.join(' ') : ''}`;
}
