/** Conv shapes and reproducible inputs shared by the engine's kernel comparisons. */

export type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

export interface Case {
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: number;
  pad: Pad;
}

/** 'same', 'valid' and an explicit, asymmetric padding. */
export const PADS: Pad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [1, 2],
    [2, 0],
    [0, 0],
  ],
];

/** Every kernel size, stride and padding of the comparison grids, with the shapes `shapes` gives for them. */
export function caseGrid(shapes: (k: number, stride: number, pad: Pad) => Case[]): Case[] {
  const cases: Case[] = [];
  for (const k of [1, 3, 4, 7]) for (const stride of [1, 2]) for (const pad of PADS) cases.push(...shapes(k, stride, pad));
  return cases;
}

/** Values in [-1, 1) from a small LCG, so a failing case reproduces exactly. */
export function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
