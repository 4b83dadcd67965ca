import { describe, it, expect } from 'vitest';
import { transforms } from '../../src-main/augment/registry.ts';
import { resolveOptions } from '../../src-main/augment/pipeline.ts';
import { Rng } from '../../src-main/common/random.ts';
import { optionsSchema } from '../../src-main/augment/transforms/types.ts';
import type { AnyTransform, Image } from '../../src-main/augment/transforms/types.ts';

/** Options that make every random transform actually fire (p = 1), so outputs are non-trivial. */
const forceOptions: Record<string, Record<string, unknown>> = {
  horizontalFlip: { p: 1 },
  randomErasing: { p: 1 },
  patchShuffle: { p: 1 },
  padCrop: { padding: 4 },
  randomResizedCrop: { size: [24, 20] },
  resize: { size: [16, 40] },
};

function testImage(h = 32, w = 28, c = 3): Image {
  const data = new Float32Array(h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  return { data, h, w, c };
}

function run(t: AnyTransform, seed: number, image: Image, override: Record<string, unknown> = {}): { out: Image; params: unknown } {
  const options = resolveOptions(t, { ...(forceOptions[t.name] ?? {}), ...override });
  const params = t.makeParams(new Rng(seed), { h: image.h, w: image.w, c: image.c }, options);
  return { out: t.apply(image, params), params };
}

describe('every registered transform', () => {
  it.each([...transforms.values()].map((t) => [t.name, t] as const))('%s: same seed same output, params round-trip through JSON, documented shape, input untouched', (_name, t) => {
    const image = testImage();
    const before = Float32Array.from(image.data);
    const a = run(t, 1234, image);
    const b = run(t, 1234, image);
    expect(Array.from(a.out.data)).toEqual(Array.from(b.out.data));
    expect(a.params).toEqual(b.params);

    // The kernel is a function of (image, params) alone: JSON params replay exactly.
    const replay = t.apply(image, JSON.parse(JSON.stringify(a.params)));
    expect(Array.from(replay.data)).toEqual(Array.from(a.out.data));

    const options = resolveOptions(t, forceOptions[t.name] ?? {});
    const shape = t.outputShape({ h: image.h, w: image.w, c: image.c }, options);
    expect([a.out.h, a.out.w, a.out.c]).toEqual([shape.h, shape.w, shape.c]);
    expect(a.out.data.length).toBe(shape.h * shape.w * shape.c);
    expect(t.changesShape || (shape.h === image.h && shape.w === image.w)).toBe(true);

    // Kernels never write into their input (the loader reuses the batch buffer).
    expect(Array.from(image.data)).toEqual(Array.from(before));

    // The in-place variant the pipeline uses on its own buffers gives exactly the same pixels.
    if (t.applyInPlace) {
      const copy = { ...image, data: Float32Array.from(image.data) };
      t.applyInPlace(copy, a.params);
      expect(Array.from(copy.data)).toEqual(Array.from(a.out.data));
    }

    if (t.random) {
      // Some seed among a few must draw different params (a random transform that never varies is broken).
      const half = t.params.some((p) => p.name === 'p') ? { p: 0.5 } : {};
      const drawn = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => JSON.stringify(run(t, s, image, half).params)));
      expect(drawn.size).toBeGreaterThan(1);
    }
  });

  it.each([...transforms.values()].map((t) => [t.name, t] as const))('%s: every descriptor has a valid default and presets parse', (_name, t) => {
    const parsed = optionsSchema(t.params).parse({});
    for (const p of t.params) expect(parsed[p.name]).toEqual(p.default);
    for (const preset of Object.keys(t.presets)) expect(() => resolveOptions(t, { preset })).not.toThrow();
    expect(() => resolveOptions(t, { notAnOption: 1 })).toThrow(/notAnOption|Unrecognized/);
  });
});
