import { describe, it, expect } from 'vitest';
import { blendMnistM, type ImageSet } from '../../src-main/datasets/generate/blend.ts';

function set(label: string, count: number, h: number, w: number, channels: number, value: (i: number) => number): ImageSet {
  const pixels = new Uint8Array(count * h * w * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = value(i) & 255;
  return { label, count, height: h, width: w, channels, pixels };
}

describe('blendMnistM', () => {
  const source = set('fmnist', 6, 4, 4, 1, (i) => i * 7);
  const patches = set('cifar', 3, 8, 8, 3, (i) => i * 13 + 5);

  it('same seed gives the same bytes and draws; another seed differs', () => {
    const a = blendMnistM(source, patches, 42);
    const b = blendMnistM(source, patches, 42);
    const c = blendMnistM(source, patches, 43);
    expect(Buffer.from(a.images.pixels).equals(Buffer.from(b.images.pixels))).toBe(true);
    expect(a.draws).toEqual(b.draws);
    expect(Buffer.from(a.images.pixels).equals(Buffer.from(c.images.pixels))).toBe(false);
  });

  it('keeps count, size and order, outputs 3 channels of |patch - digit| from the drawn crop', () => {
    const { images, draws } = blendMnistM(source, patches, 7);
    expect([images.count, images.height, images.width, images.channels]).toEqual([6, 4, 4, 3]);
    expect(images.pixels.length).toBe(6 * 4 * 4 * 3);
    expect(draws).toHaveLength(6);
    for (const [i, d] of draws.entries()) {
      expect(d.patchIndex).toBeGreaterThanOrEqual(0);
      expect(d.patchIndex).toBeLessThan(3);
      expect(d.y).toBeGreaterThanOrEqual(0);
      expect(d.y).toBeLessThanOrEqual(4);
      expect(d.x).toBeLessThanOrEqual(4);
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) {
          const digit = source.pixels[i * 16 + r * 4 + c]!;
          for (let ch = 0; ch < 3; ch++) {
            const p = patches.pixels[d.patchIndex * 192 + ((d.y + r) * 8 + d.x + c) * 3 + ch]!;
            expect(images.pixels[(i * 16 + r * 4 + c) * 3 + ch]).toBe(Math.abs(p - digit));
          }
        }
      }
    }
  });

  it('a patch set exactly the source size uses the whole image (crop at 0,0)', () => {
    const { draws } = blendMnistM(source, set('small', 2, 4, 4, 3, (i) => i), 1);
    expect(draws.every((d) => d.x === 0 && d.y === 0)).toBe(true);
  });

  it.each([
    ['a colour source', set('colour-src', 2, 4, 4, 3, () => 1), patches, /source colour-src: .*grayscale.*3 channels/],
    ['an empty patch set', source, set('empty', 0, 8, 8, 3, () => 0), /patches empty: .*no images/],
    ['a grayscale patch set', source, set('grey-patches', 2, 8, 8, 1, () => 0), /patches grey-patches: .*colour/],
    ['patches smaller than the source', source, set('tiny', 2, 2, 2, 3, () => 0), /patches tiny: .*smaller/],
  ])('refuses %s, naming it', (_name, src, p, message) => {
    expect(() => blendMnistM(src, p, 0)).toThrow(message);
  });
});
