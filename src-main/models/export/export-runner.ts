import { copyFileSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { JobRunner } from '../../core/jobs/spec.ts';
import type { ExportFormat, ExportParams } from '../../common/contract/models.ts';
import { initEngine } from '../../engine/init.ts';
import { forward, type Model } from '../../nn/forward.ts';
import { disposeModel } from '../../nn/init.ts';
import { withClassMapsOutput } from '../../nn/class-maps.ts';
import { sha256File } from '../../core/artifacts.ts';
import { graphToOnnx } from './onnx/graph-to-onnx.ts';
import { openOnnxSession, runOnnxOutputs } from './onnx/onnx-session.ts';
import { graphToLayersModel } from './tfjs/graph-to-layers.ts';
import { loadLayersModelFromFolder, saveLayersModel } from './tfjs/layers-files.ts';
import { readWeightValues } from './model-weights.ts';
import { compareOutputs, type OutputComparison } from './verify.ts';
import { loadWorkspaceModel, safeFileName } from '../workspace-model.ts';
import { mulberry32 } from '../../common/random.ts';

export interface ExportedFile {
  /** Workspace-relative. */
  path: string;
  sizeBytes: number;
  sha256: string;
  role: 'model' | 'topology' | 'weights';
  /** Where the copy in `outDir` went, when one was asked for. */
  copiedTo?: string;
}

export interface ExportResult {
  modelId: number;
  format: ExportFormat;
  inputLayout: 'nhwc' | 'nchw';
  files: ExportedFile[];
  /** The exported model's outputs: 'logits', and 'class_maps' for a localization model (in the input's layout). */
  outputs: string[];
  /** Exported model vs the workbench forward pass on random inputs (the logits; `classMaps` the class maps); null when verify was off. */
  verification: (OutputComparison & { batch: number; classMaps: OutputComparison | null }) | null;
}

const VERIFY_BATCH = 2;

/** Deterministic inputs in [-2, 2), the range of normalised images. [B,H,W,C] flattened. */
function verificationInput(model: Model): { data: Float32Array; shape: [number, number, number, number] } {
  const { height, width, channels } = model.spec.input;
  const shape: [number, number, number, number] = [VERIFY_BATCH, height, width, channels];
  const rng = mulberry32(12345);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng() * 4 - 2;
  return { data, shape };
}

interface Reference {
  logits: Float32Array;
  /** The class maps [B,h,w,K] of a localization model. */
  classMaps: { data: Float32Array; shape: number[] } | null;
}

function referenceOutputs(model: Model, data: Float32Array, shape: [number, number, number, number]): Reference {
  const maps = model.spec.outputs.classMaps;
  let out: Reference | null = null;
  tf.tidy(() => {
    const res = forward(model, tf.tensor4d(data, shape), { training: false, ...(maps ? { taps: [maps] } : {}) });
    const m = maps ? res.nodes!.get(maps)! : null;
    out = { logits: res.logits.dataSync() as Float32Array, classMaps: m ? { data: m.dataSync() as Float32Array, shape: m.shape } : null };
  });
  return out!;
}

/** [B,h,w,K] -> [B,K,h,w]. */
function toNchw(t: { data: Float32Array; shape: number[] }): Float32Array {
  return tf.tidy(() => tf.transpose(tf.tensor(t.data, t.shape), [0, 3, 1, 2]).dataSync() as Float32Array);
}

function failVerification(format: string, c: OutputComparison, output = 'logits'): never {
  throw new Error(
    `The ${format} export does not reproduce the model: max |difference| ${c.maxAbsDiff.toExponential(2)} (relative ${c.relative.toExponential(2)}) on ${output} up to ${c.maxAbsReference.toFixed(3)}. Nothing was recorded.`,
  );
}

/** Compares the class maps where the model has them; throws when they differ. */
function checkClassMaps(format: string, reference: Reference, exported: ArrayLike<number> | undefined, layout: 'nhwc' | 'nchw'): OutputComparison | null {
  if (!reference.classMaps) return null;
  if (!exported) throw new Error(`The ${format} export has no class_maps output. Nothing was recorded.`);
  const c = compareOutputs(layout === 'nchw' ? toNchw(reference.classMaps) : reference.classMaps.data, exported);
  if (!c.ok) failVerification(format, c, 'class_maps');
  return c;
}

const run: JobRunner<ExportParams, ExportResult> = async (ctx) => {
  const p = ctx.params;
  await initEngine();
  ctx.progress({ fraction: 0, step: 'Loading the model' });
  const db = ctx.readDb();
  const { row, model } = loadWorkspaceModel(db, ctx.workspaceDir, p.modelId);
  // Localization models saved before their specs named the class maps: found from the graph, so they export them too.
  const named = model.spec.outputs.classMaps;
  model.spec = withClassMapsOutput(model.spec);
  if (!named && model.spec.outputs.classMaps) ctx.log(`The model's file names no class-map output; exporting ${model.spec.outputs.classMaps} (the maps its logits average) as class_maps.`);
  else if (!model.spec.outputs.classMaps && (row.method === 'cam' || row.method === 'spg')) {
    ctx.log(`Model ${row.id} is a ${row.method.toUpperCase()} model without class maps its logits average; the export carries the logits only (train it again with localize.train for class_maps).`);
  }
  try {
    const weights = await readWeightValues(model);
    const input = p.verify ? verificationInput(model) : null;
    const reference = input ? referenceOutputs(model, input.data, input.shape) : null;
    const outFolder = path.join(ctx.jobDir, p.format === 'onnx' ? 'onnx' : 'tfjs');
    mkdirSync(outFolder, { recursive: true });
    const base = safeFileName(row.name);
    const written: { abs: string; role: ExportedFile['role'] }[] = [];
    let verification: ExportResult['verification'] = null;
    ctx.signal.throwIfAborted();

    if (p.format === 'onnx') {
      ctx.progress({ fraction: 0.2, step: 'Writing ONNX' });
      const bytes = graphToOnnx(model.spec, weights, {
        inputLayout: p.inputLayout,
        metadata: { modelId: String(row.id), name: row.name, method: row.method ?? '', rate: row.rate === null ? '' : String(row.rate) },
      });
      const file = path.join(outFolder, `${base}.onnx`);
      writeFileSync(file + '.tmp', bytes);
      renameSync(file + '.tmp', file);
      written.push({ abs: file, role: 'model' });
      if (input && reference) {
        ctx.progress({ fraction: 0.6, step: 'Checking the export in ONNX Runtime' });
        const session = await openOnnxSession(file);
        let x = input.data;
        let dims: number[] = input.shape;
        if (p.inputLayout === 'nchw') {
          // [B,H,W,C] -> [B,C,H,W]
          x = tf.tidy(() => tf.transpose(tf.tensor4d(input.data, input.shape), [0, 3, 1, 2]).dataSync() as Float32Array);
          dims = [input.shape[0], input.shape[3], input.shape[1], input.shape[2]];
        }
        const out = await runOnnxOutputs(session, { data: x, dims });
        await session.release();
        const c = compareOutputs(reference.logits, out.logits!.data);
        if (!c.ok) failVerification('ONNX', c);
        verification = { ...c, batch: VERIFY_BATCH, classMaps: checkClassMaps('ONNX', reference, out.class_maps?.data, p.inputLayout) };
      }
    } else {
      ctx.progress({ fraction: 0.2, step: 'Writing TF.js layers model' });
      const layers = graphToLayersModel(model.spec, weights);
      let saved: string[];
      try {
        saved = (await saveLayersModel(layers, outFolder, { modelId: row.id, name: row.name, arch: model.spec.arch })).files;
      } finally {
        layers.dispose();
      }
      saved.forEach((abs, i) => written.push({ abs, role: i === 0 ? 'topology' : 'weights' }));
      if (input && reference) {
        ctx.progress({ fraction: 0.6, step: 'Checking the export by loading it back' });
        const loaded = await loadLayersModelFromFolder(outFolder);
        const outs = tf.tidy(() => {
          const y = loaded.predict(tf.tensor4d(input.data, input.shape));
          return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
        });
        loaded.dispose();
        const c = compareOutputs(reference.logits, outs[0]!);
        if (!c.ok) failVerification('TF.js layers', c);
        // The class maps are the last output (the layers model is NHWC throughout).
        verification = { ...c, batch: VERIFY_BATCH, classMaps: checkClassMaps('TF.js layers', reference, outs.length > 1 ? outs.at(-1) : undefined, 'nhwc') };
      }
    }

    ctx.progress({ fraction: 0.85, step: 'Hashing and copying files' });
    const files: ExportedFile[] = [];
    for (const w of written) {
      const entry: ExportedFile = {
        path: path.relative(ctx.workspaceDir, w.abs),
        sizeBytes: statSync(w.abs).size,
        sha256: await sha256File(w.abs, ctx.signal),
        role: w.role,
      };
      if (p.outDir !== undefined) {
        mkdirSync(p.outDir, { recursive: true });
        const target = path.join(p.outDir, path.basename(w.abs));
        copyFileSync(w.abs, target + '.tmp');
        renameSync(target + '.tmp', target);
        entry.copiedTo = target;
      }
      files.push(entry);
    }
    for (const f of files) ctx.log(`${f.path}: ${f.sizeBytes} bytes, sha256 ${f.sha256}${f.copiedTo ? `, copied to ${f.copiedTo}` : ''}`);
    if (verification) ctx.log(`Verified against the workbench forward pass: relative difference ${verification.relative.toExponential(2)}${verification.classMaps ? `, class maps ${verification.classMaps.relative.toExponential(2)}` : ''}.`);
    ctx.progress({ fraction: 1, step: 'Done' });
    return { modelId: row.id, format: p.format, inputLayout: p.inputLayout, outputs: model.spec.outputs.classMaps ? ['logits', 'class_maps'] : ['logits'], files, verification };
  } finally {
    disposeModel(model);
  }
};

export default run;
