import { describe, it, expect } from 'vitest';
import { randomErasing } from '../../src-main/augment/transforms/random-erasing.ts';
import type { RandomErasingOptions } from '../../src-main/augment/transforms/random-erasing.ts';
import { resolveOptions } from '../../src-main/augment/pipeline.ts';
import { Rng } from '../../src-main/common/random.ts';

const shape = { h: 32, w: 32, c: 3 };
const opts = (raw: Record<string, unknown>): RandomErasingOptions => resolveOptions(randomErasing, raw) as unknown as RandomErasingOptions;

describe('Random Erasing', () => {
  it('presets carry the reference values: paper and torchvision', () => {
    const paper = opts({});
    expect(paper).toMatchObject({ p: 0.5, area: [0.02, 0.4], attempts: 100, aspectDraw: 'uniform', fill: 'random' });
    expect(paper.aspect[0]).toBeCloseTo(0.3);
    expect(paper.aspect[1]).toBeCloseTo(1 / 0.3);
    expect(opts({ preset: 'torchvision' })).toMatchObject({ area: [0.02, 0.33], aspect: [0.3, 3.3], aspectDraw: 'log-uniform', attempts: 10 });
    // A value given next to a preset wins over the preset.
    expect(opts({ preset: 'torchvision', attempts: 3 }).attempts).toBe(3);
  });

  it('applies at rate p over many draws', () => {
    for (const p of [0.2, 0.5, 0.9]) {
      const o = opts({ p });
      let erased = 0;
      const n = 4000;
      for (let i = 0; i < n; i++) if (randomErasing.makeParams(new Rng(i), shape, o).erase) erased++;
      // Binomial sd at n=4000 is <= 0.008; 0.03 is ~4 sd. A few draws may also fail all attempts (not here: 100 attempts).
      expect(Math.abs(erased / n - p)).toBeLessThan(0.03);
    }
  });

  it.each([
    ['paper', {}],
    ['torchvision', { preset: 'torchvision' }],
  ] as const)('%s: erased area fraction within [sl, sh] and aspect within bounds (up to pixel rounding)', (_name, raw) => {
    const o = opts({ ...raw, p: 1 });
    const big = { h: 200, w: 200, c: 1 };
    let n = 0;
    const fractions: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const prm = randomErasing.makeParams(new Rng(i), big, o);
      if (!prm.erase) continue;
      n++;
      const fraction = (prm.height * prm.width) / (big.h * big.w);
      fractions.push(fraction);
      // Rounding h and w to whole pixels moves the area by at most about (h + w + 1) pixels.
      const slack = (prm.height + prm.width + 1) / (big.h * big.w);
      expect(fraction).toBeGreaterThanOrEqual(o.area[0] - slack);
      expect(fraction).toBeLessThanOrEqual(o.area[1] + slack);
      const aspect = prm.height / prm.width;
      expect(aspect).toBeGreaterThanOrEqual(o.aspect[0] * (1 - 1 / prm.width) * (1 - 1 / prm.height) - 0.02);
      expect(aspect).toBeLessThanOrEqual(o.aspect[1] * (1 + 1 / prm.width) * (1 + 1 / prm.height) + 0.02);
      expect(prm.top + prm.height).toBeLessThanOrEqual(big.h);
      expect(prm.left + prm.width).toBeLessThanOrEqual(big.w);
    }
    expect(n).toBeGreaterThan(2500);
    // The mean of a uniform area fraction sits in the middle of [sl, sh] (boxes that do not fit bias it down a little).
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    expect(mean).toBeGreaterThan(o.area[0] + (o.area[1] - o.area[0]) * 0.35);
    expect(mean).toBeLessThan(o.area[0] + (o.area[1] - o.area[0]) * 0.6);
  });

  it('fills exactly the drawn box, with the chosen fill, and leaves the rest alone', () => {
    const image = { data: new Float32Array(32 * 32 * 3).fill(100), h: 32, w: 32, c: 3 };
    for (const [fill, check] of [
      ['zero', (v: number) => v === 0],
      ['constant', (v: number, ch: number) => v === [10, 20, 30][ch]],
      ['random', (v: number) => v >= 0 && v < 255],
      ['normal', (v: number) => Math.abs(v) < 8],
    ] as const) {
      const o = opts({ p: 1, fill, value: [10, 20, 30] });
      const prm = randomErasing.makeParams(new Rng(7), image, o);
      expect(prm.erase).toBe(true);
      if (!prm.erase) continue;
      const out = randomErasing.apply(image, prm);
      let inside = 0;
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let ch = 0; ch < 3; ch++) {
            const v = out.data[(y * 32 + x) * 3 + ch]!;
            const inBox = y >= prm.top && y < prm.top + prm.height && x >= prm.left && x < prm.left + prm.width;
            if (inBox) {
              inside++;
              expect(check(v, ch)).toBe(true);
            } else expect(v).toBe(100);
          }
      expect(inside).toBe(prm.height * prm.width * 3);
    }
  });

  it('leaves the image unchanged when no attempt fits', () => {
    const o = opts({ p: 1, area: [0.99, 1], aspect: [4, 5], attempts: 5 });
    const prm = randomErasing.makeParams(new Rng(1), shape, o);
    expect(prm).toEqual({ erase: false, attempts: 5 });
  });
});
