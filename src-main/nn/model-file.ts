/**
 * The model file format on disk: a folder with `model.json` (graph spec,
 * weights manifest, SHA-256 of the weights, free metadata) and `weights.bin`
 * (little-endian float32, tensors back to back in manifest order).
 * Loading validates everything before creating a single tensor, so a corrupt
 * or foreign file is refused with a message and never half-loaded.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectedWeights, parseGraphSpec, type GraphSpec } from './graph.ts';
import type { Model } from './forward.ts';
import { modelFromTensors } from './init.ts';

export const MODEL_FILE_FORMAT = 'workbench-model';
export const MODEL_FILE_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
/** A manifest is a few kilobytes; one far over this is not a model file. */
const maxManifestBytes = 64 * 1024 ** 2;

const manifestSchema = z
  .object({
    format: z.literal(MODEL_FILE_FORMAT),
    version: z.literal(MODEL_FILE_VERSION),
    spec: z.unknown(),
    weights: z.array(
      z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.literal('float32'), offset: z.number().int().min(0) }).strict(),
    ),
    weightsFile: z.literal(WEIGHTS_BIN),
    byteLength: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    meta: z.record(z.string(), z.unknown()),
  })
  .strict();
export type ModelManifest = z.infer<typeof manifestSchema>;

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** Writes `dir/weights.bin` then `dir/model.json`, each via a temporary file and rename. */
export async function saveModel(model: Model, dir: string, meta: Record<string, unknown> = {}): Promise<ModelManifest> {
  mkdirSync(dir, { recursive: true });
  const infos = expectedWeights(model.spec);
  const chunks: Buffer[] = [];
  const entries: ModelManifest['weights'] = [];
  let offset = 0;
  for (const info of infos) {
    const t = model.weights.get(info.name);
    if (!t) throw new ModelFileError(`Cannot save: weight "${info.name}" is missing.`);
    const data = (await t.data()) as Float32Array;
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    chunks.push(Buffer.from(buf));
    entries.push({ name: info.name, shape: t.shape, dtype: 'float32', offset });
    offset += buf.byteLength;
  }
  const bin = Buffer.concat(chunks);
  const manifest: ModelManifest = {
    format: MODEL_FILE_FORMAT,
    version: MODEL_FILE_VERSION,
    spec: model.spec,
    weights: entries,
    weightsFile: WEIGHTS_BIN,
    byteLength: bin.byteLength,
    sha256: createHash('sha256').update(bin).digest('hex'),
    meta,
  };
  const binPath = path.join(dir, WEIGHTS_BIN);
  const jsonPath = path.join(dir, MODEL_JSON);
  writeFileSync(binPath + '.tmp', bin);
  writeFileSync(jsonPath + '.tmp', JSON.stringify(manifest));
  // Weights first: if the process dies between the renames, the old model.json's
  // checksum no longer matches and the folder is refused instead of half-loaded.
  renameSync(binPath + '.tmp', binPath);
  renameSync(jsonPath + '.tmp', jsonPath);
  return manifest;
}

/** Reads and validates `model.json` (not the weights). */
export function readManifest(dir: string): ModelManifest & { spec: GraphSpec } {
  const jsonPath = path.join(dir, MODEL_JSON);
  if (!existsSync(jsonPath)) throw new ModelFileError(`${jsonPath}: no model file here.`);
  let raw: unknown;
  try {
    raw = JSON.parse(readModelFile(jsonPath, null, maxManifestBytes, 'manifest').toString('utf8'));
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`${jsonPath}: not valid JSON (${(err as Error).message}).`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFileError(`${jsonPath}: not a workbench model file (${issue?.path.join('.') || 'root'}: ${issue?.message}).`);
  }
  let spec: GraphSpec;
  try {
    spec = parseGraphSpec(parsed.data.spec);
  } catch (err) {
    throw new ModelFileError(`${jsonPath}: ${(err as Error).message}`);
  }
  return { ...parsed.data, spec };
}

export interface LoadOptions {
  /** Registry names this build knows; a model of another architecture is refused. */
  knownArchs?: readonly string[];
  /** Refuse, before reading the weights or allocating anything, a model over these (the model import passes the workspace's limits). */
  limits?: { maxModelInputPixels: number; maxModelWeightBytes: number };
}

/**
 * Reads `weights.bin` after checking, on the open descriptor, that it is a
 * regular file of exactly the manifest's size (and within the limit): a link to
 * /dev/zero, a pipe or a huge file is refused before a byte is read.
 */
function readModelFile(binPath: string, byteLength: number | null, maxBytes: number | undefined, what: 'weights' | 'manifest' = 'weights'): Buffer {
  let fd: number;
  try {
    // Opening a FIFO blocks until a writer comes: look at the type first, then again on the open descriptor.
    if (!statSync(binPath).isFile()) throw new ModelFileError(`${binPath}: not a regular file (a device, pipe or socket); refusing to read it.`);
    fd = openSync(binPath, 'r');
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`${binPath}: cannot open the ${what} file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ModelFileError(`${binPath}: not a regular file (a device, pipe or socket); refusing to read it.`);
    if (maxBytes !== undefined && st.size > maxBytes) {
      throw new ModelFileError(
        what === 'weights'
          ? `${binPath}: ${st.size} bytes is over the limit of ${maxBytes} bytes for model weights (setting limits.maxModelWeightBytes).`
          : `${binPath}: ${st.size} bytes is over the limit of ${maxBytes} bytes for a model manifest.`,
      );
    }
    if (byteLength !== null && st.size !== byteLength) throw new ModelFileError(`${binPath}: ${st.size} bytes, the manifest says ${byteLength} (truncated or replaced).`);
    const bin = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const k = readSync(fd, bin, n, st.size - n, n);
      if (k === 0) break;
      n += k;
    }
    if (byteLength !== null && n !== byteLength) throw new ModelFileError(`${binPath}: ${n} bytes, the manifest says ${byteLength} (truncated or replaced).`);
    return bin;
  } finally {
    closeSync(fd);
  }
}

function checkManifestLimits(manifest: ModelManifest & { spec: GraphSpec }, jsonPath: string, limits: NonNullable<LoadOptions['limits']>): void {
  const { height, width } = manifest.spec.input;
  if (height * width > limits.maxModelInputPixels) {
    throw new ModelFileError(
      `${jsonPath}: the model input ${height}x${width} (${height * width} pixels) is over the limit of ${limits.maxModelInputPixels} pixels (setting limits.maxModelInputPixels).`,
    );
  }
  if (manifest.byteLength > limits.maxModelWeightBytes) {
    throw new ModelFileError(`${jsonPath}: ${manifest.byteLength} bytes of weights is over the limit of ${limits.maxModelWeightBytes} bytes (setting limits.maxModelWeightBytes).`);
  }
}

/**
 * Checks a model folder against the limits from its manifest alone (input
 * size, declared weight bytes), before anything big is read or allocated.
 */
export function checkModelLimits(dir: string, limits: NonNullable<LoadOptions['limits']>): void {
  checkManifestLimits(readManifest(dir), path.join(dir, MODEL_JSON), limits);
}

/** Loads a model folder, checking the architecture, every weight's name and shape, the size and the checksum first. */
export function loadModel(dir: string, options: LoadOptions = {}): { model: Model; manifest: ModelManifest & { spec: GraphSpec } } {
  const manifest = readManifest(dir);
  const jsonPath = path.join(dir, MODEL_JSON);
  const { spec } = manifest;
  if (options.knownArchs && !options.knownArchs.includes(spec.arch)) {
    throw new ModelFileError(`${jsonPath}: unknown architecture "${spec.arch}" (known: ${options.knownArchs.join(', ')}).`);
  }
  const { limits } = options;
  if (limits) checkManifestLimits(manifest, jsonPath, limits);
  const expected = expectedWeights(spec);
  const byName = new Map(manifest.weights.map((e) => [e.name, e]));
  if (byName.size !== manifest.weights.length || expected.length !== manifest.weights.length) {
    throw new ModelFileError(`${jsonPath}: the manifest lists ${manifest.weights.length} weights, the graph needs ${expected.length}.`);
  }
  const binPath = path.join(dir, WEIGHTS_BIN);
  if (!existsSync(binPath)) throw new ModelFileError(`${binPath}: the weights file is missing.`);
  const bin = readModelFile(binPath, manifest.byteLength, limits?.maxModelWeightBytes);
  if (createHash('sha256').update(bin).digest('hex') !== manifest.sha256) {
    throw new ModelFileError(`${binPath}: checksum mismatch, the weights file is corrupt.`);
  }
  for (const info of expected) {
    const e = byName.get(info.name);
    if (!e) throw new ModelFileError(`${jsonPath}: weight "${info.name}" is missing.`);
    if (e.shape.join() !== info.shape.join()) {
      throw new ModelFileError(`${jsonPath}: weight "${info.name}" has shape [${e.shape.join(',')}], the graph needs [${info.shape.join(',')}].`);
    }
    const size = info.shape.reduce((a, b) => a * b, 1);
    if (e.offset % 4 !== 0 || e.offset + size * 4 > bin.byteLength) throw new ModelFileError(`${jsonPath}: weight "${info.name}" lies outside the weights file.`);
  }
  // Copy into an aligned buffer: a Buffer from readFileSync may start at any byte offset.
  const aligned = new Float32Array(bin.byteLength / 4);
  new Uint8Array(aligned.buffer).set(bin);
  const tensors = new Map<string, tf.Tensor>();
  for (const info of expected) {
    const e = byName.get(info.name)!;
    const size = info.shape.reduce((a, b) => a * b, 1);
    tensors.set(info.name, tf.tensor(aligned.subarray(e.offset / 4, e.offset / 4 + size), info.shape, 'float32'));
  }
  return { model: modelFromTensors(spec, tensors), manifest };
}
