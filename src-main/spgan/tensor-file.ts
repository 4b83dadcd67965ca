import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync, readFileSync, renameSync } from 'node:fs';

/**
 * A flat tensor file: `<base>.json` (names, shapes, offsets) + `<base>.bin`
 * (float32, little-endian). Written to temporary names and renamed, so a
 * cancelled job never leaves a half-written checkpoint behind.
 */
export interface TensorFileEntry {
  name: string;
  shape: number[];
  offset: number;
}

export async function saveTensors(base: string, tensors: { name: string; tensor: tf.Tensor }[], meta: Record<string, unknown> = {}): Promise<number> {
  const entries: TensorFileEntry[] = [];
  let total = 0;
  for (const { name, tensor } of tensors) {
    entries.push({ name, shape: tensor.shape, offset: total });
    total += tensor.size;
  }
  const data = new Float32Array(total);
  for (let i = 0; i < tensors.length; i++) data.set(await tensors[i].tensor.data<'float32'>(), entries[i].offset);
  writeFileSync(`${base}.bin.tmp`, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(`${base}.json.tmp`, JSON.stringify({ format: 'workbench-tensors', version: 1, meta, entries }));
  renameSync(`${base}.bin.tmp`, `${base}.bin`);
  renameSync(`${base}.json.tmp`, `${base}.json`);
  return data.byteLength;
}

export interface LoadedTensors {
  meta: Record<string, unknown>;
  get(name: string): { shape: number[]; data: Float32Array } | undefined;
  names(): string[];
}

export function loadTensors(base: string): LoadedTensors {
  const header = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { meta: Record<string, unknown>; entries: TensorFileEntry[] };
  const buf = readFileSync(`${base}.bin`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const byName = new Map(header.entries.map((e) => [e.name, e]));
  return {
    meta: header.meta,
    names: () => [...byName.keys()],
    get(name) {
      const e = byName.get(name);
      if (!e) return undefined;
      const size = e.shape.reduce((a, b) => a * b, 1);
      return { shape: e.shape, data: all.subarray(e.offset, e.offset + size) };
    },
  };
}

/** Assigns stored values to variables by name; throws naming the first missing or mismatched one. */
export function assignVariables(file: LoadedTensors, vars: Map<string, tf.Variable>, what: string): void {
  for (const [name, v] of vars) {
    const stored = file.get(name);
    if (!stored) throw new Error(`${what}: weight ${name} is missing from the checkpoint.`);
    if (stored.shape.join('x') !== v.shape.join('x')) throw new Error(`${what}: weight ${name} has shape ${stored.shape.join('x')}, the network expects ${v.shape.join('x')}.`);
    const t = tf.tensor(stored.data, stored.shape);
    v.assign(t);
    t.dispose();
  }
}
