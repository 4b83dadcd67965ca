/**
 * Peak resident memory per model within one process. Linux keeps the peak (VmHWM in
 * /proc/self/status) and lets a process reset it (writing 5 to /proc/self/clear_refs), so each
 * model's training is measured on its own; elsewhere the process's peak so far is all there is
 * (then a later, smaller model reads the larger one's peak) and the result says so.
 */
import { readFileSync, writeFileSync } from 'node:fs';

let resettable: boolean | null = null;

/** Starts a new peak; false when this OS cannot (the peak then covers the whole process so far). */
export function resetPeakRss(): boolean {
  if (resettable === false) return false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    resettable = true;
  } catch {
    resettable = false;
  }
  return resettable;
}

/** Peak resident memory since the last reset (or process start), MiB. */
export function peakRssMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: below
  }
  return process.resourceUsage().maxRSS / 1024; // KiB
}

export function peakMemoryNote(): string {
  return resettable
    ? 'peak resident memory of the process while it trained each model (Linux VmHWM reset per model and repeat); PyTorch: one process per model and repeat'
    : 'peak resident memory of the process so far (this OS cannot reset it): a model measured after a larger one reads that peak';
}
