/** The engine benchmark: medians, spreads, the per-model peak memory reset, and why a baseline cannot run. */
import { describe, expect, it } from 'vitest';
import { median, missingModuleMessage, summarize, type BenchSample } from '../../src-main/bench/engine/engine-bench.ts';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const sample = (train: number, infer: number, batch1: number | null, memory: number): BenchSample => ({
  runtime: 'wasm (2 threads)',
  trainImagesPerSec: train,
  inferImagesPerSec: infer,
  inferBatch1ImagesPerSec: batch1,
  peakMemoryMiB: memory,
});

describe('engine benchmark statistics', () => {
  it.each([
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[10, 400, 12], 12],
  ])('median of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('summarizes repeats as medians with min-max spreads; batch 1 only when every repeat has it', () => {
    const s = summarize('workbench', 'resnet20', [sample(300, 900, 50, 800), sample(420, 1000, 60, 820), sample(390, 950, 40, 790)]);
    expect(s).toMatchObject({ side: 'workbench', model: 'resnet20', repeats: 3, trainImagesPerSec: 390, inferImagesPerSec: 950, inferBatch1ImagesPerSec: 50, peakMemoryMiB: 800 });
    expect(s.spread).toEqual({ train: [300, 420], infer: [900, 1000], inferBatch1: [40, 60], memory: [790, 820] });
    const partial = summarize('pytorch', 'resnet20', [sample(1, 1, 5, 1), sample(1, 1, null, 1)]);
    expect(partial.inferBatch1ImagesPerSec).toBeNull();
    expect(partial.spread.inferBatch1).toBeNull();
  });

  it.runIf(process.platform === 'linux')('the peak memory restarts per model: a freed 256 MiB peak is forgotten after the reset', () => {
    // In a child process with --expose-gc, so the buffer is really returned to the OS before the reset.
    const module = pathToFileURL(path.resolve('src-main/bench/engine/peak-memory.ts')).href;
    const script = `
      const { peakRssMiB, resetPeakRss } = await import(${JSON.stringify(module)});
      let big = Buffer.alloc(256 * 1024 * 1024, 1);
      const withBig = peakRssMiB();
      big = null; globalThis.gc();
      const reset = resetPeakRss();
      console.log(JSON.stringify({ withBig, reset, after: peakRssMiB() }));`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { withBig, reset, after } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { withBig: number; reset: boolean; after: number };
    expect(reset).toBe(true);
    expect(withBig).toBeGreaterThan(256);
    expect(after).toBeLessThan(withBig - 128);
  });
});

describe('PyTorch baseline: a missing Python module is named', () => {
  it.each([
    ['torch', /PyTorch is not installed/],
    ['torchvision', /torchvision is not installed \(Debian package python3-torchvision/],
    ['torch._C', /PyTorch is not installed/],
    ['numpy', /needs the Python module numpy/],
  ])('%s', (module, expected) => {
    expect(missingModuleMessage(module)).toMatch(expected);
  });
});
