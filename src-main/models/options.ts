/**
 * Options every registry model accepts. The zod schema lives in the contract
 * (common/contract/models.ts) so the UI and the training config validate the
 * same way; this file resolves defaults per family.
 */
import type { ModelOptionsInput } from '../common/contract/models.ts';

export interface ResolvedOptions {
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  shortcut: 'A' | 'B';
  /** Proportion of blocks whose last ReLU (after the addition) is removed. */
  eraseRelu: number;
  patchShuffle: { patch: number; probability: number; at: string[] } | null;
  frozenBatchNorm: boolean;
  /** Width multiplier of every stage (1 = the paper's widths); small values keep tests fast. */
  widthMultiplier: number;
}

export function resolveOptions(o: ModelOptionsInput, defaults: { size: number; numClasses: number; shortcut: 'A' | 'B' }): ResolvedOptions {
  const size = o.inputSize ?? [defaults.size, defaults.size];
  const erase = o.eraseRelu === true ? 1 : o.eraseRelu === false || o.eraseRelu === undefined ? 0 : o.eraseRelu;
  return {
    height: size[0],
    width: size[1],
    channels: o.channels ?? 3,
    numClasses: o.numClasses ?? defaults.numClasses,
    shortcut: o.shortcut ?? defaults.shortcut,
    eraseRelu: erase,
    patchShuffle: o.patchShuffle ? { patch: o.patchShuffle.patch ?? 2, probability: o.patchShuffle.probability ?? 0.05, at: o.patchShuffle.at ?? ['input'] } : null,
    frozenBatchNorm: o.frozenBatchNorm ?? false,
    widthMultiplier: o.widthMultiplier ?? 1,
  };
}

/**
 * Which blocks lose their last ReLU for an erase proportion p: spread evenly
 * over the network (block i is erased when floor((i+1)p) > floor(ip)), so
 * p = 1 erases all (the paper's recommended setting) and p = 0.5 every other.
 */
export function erasedBlock(index: number, proportion: number): boolean {
  if (proportion >= 1) return true;
  if (proportion <= 0) return false;
  return Math.floor((index + 1) * proportion + 1e-9) > Math.floor(index * proportion + 1e-9);
}
