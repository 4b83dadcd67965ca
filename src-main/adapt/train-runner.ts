import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { JobRunContext } from '../core/jobs/spec.ts';
import type { AdaptEpoch, AdaptTrainParams, AdaptTrainResult } from '../common/contract/adapt.ts';
import type { MetricPoint } from '../common/contract/jobs.ts';
import { trainConfigSchema } from '../common/contract/train.ts';
import { initEngine } from '../engine/init.ts';
import { buildSpec } from '../models/specs.ts';
import { forward, updateRunningStats, type BatchStats, type Model } from '../nn/forward.ts';
import { disposeModel, initModel } from '../nn/init.ts';
import { expectedWeights } from '../nn/graph.ts';
import { saveModel } from '../nn/model-file.ts';
import { hashSeed, mulberry32, permutation } from '../common/random.ts';
import { evalBatch, openRunData, trainBatch, type RunData } from '../train/data.ts';
import { evaluate } from '../train/evaluate.ts';
import { Sgd } from '../train/sgd.ts';
import { gradientReversal, grlCoefficient } from './grl.ts';
import { attentionAlignmentLoss, stageOutputs } from './attention.ts';
import { balancedSoftLabels, emSoftLabels, softCrossEntropy } from './em-soft-labels.ts';
import { translationsOf } from './translation.ts';
import { openDomainData } from './domain-data.ts';
import { domainImageSize } from './domains.ts';
import { findAlongChain } from '../core/jobs/job-store.ts';
import { jobFolder } from '../core/workspace.ts';
import { checkpointDir, latestCheckpoint, loadAdaptCheckpoint, saveAdaptCheckpoint, type AdaptRunState, type LoadedAdaptCheckpoint } from './checkpoint.ts';

/**
 * DANN's domain classifier: features -> hidden (ReLU) -> 1 logit (source 0,
 * target 1), its own variables beside the model's (not part of the saved
 * classifier).
 */
// A type alias (not an interface) so tf.tidy accepts it as a TensorContainer.
type DomainHead = {
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
};

function domainHead(features: number, hidden: number, seed: number): DomainHead {
  const glorot = (fanIn: number, fanOut: number, s: number): tf.Tensor =>
    tf.randomUniform([fanIn, fanOut], -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut)), 'float32', s);
  return {
    w1: tf.variable(glorot(features, hidden, hashSeed(seed, 11)), true, `domain_w1_${seed}`),
    b1: tf.variable(tf.zeros([hidden]), true, `domain_b1_${seed}`),
    w2: tf.variable(glorot(hidden, 1, hashSeed(seed, 12)), true, `domain_w2_${seed}`),
    b2: tf.variable(tf.zeros([1]), true, `domain_b2_${seed}`),
  };
}

/**
 * Both domains read as 3-channel images of the source's size, split 'train'
 * for training and 'test' for measuring; or, for a named domain of a
 * domain-folders set (Office-31), that domain's images (domain-data.ts).
 */
async function openDomain(ctx: JobRunContext<AdaptTrainParams>, role: 'source' | 'target', size: [number, number] | undefined, limit: number | undefined): Promise<RunData> {
  const p = ctx.params;
  const datasetId = role === 'source' ? p.sourceDatasetId : p.targetDatasetId;
  const domain = role === 'source' ? p.sourceDomain : p.targetDomain;
  if (domain !== undefined) {
    const own = size ?? domainImageSize(ctx.readDb(), datasetId, domain);
    if (!own) throw new Error(`inputSize: the images of domain "${domain}" of dataset ${datasetId} differ in size; give [height, width].`);
    return openDomainData(ctx.readDb(), { datasetId, domain, role, size: own, limit, testLimit: p.testLimit, seed: p.seed });
  }
  const cfg = trainConfigSchema.parse({
    dataset: { id: datasetId, trainSplit: 'train', testSplit: 'test', validationFraction: 0, channels: 3, ...(size ? { inputSize: size } : {}), ...(limit ? { limit } : {}), ...(p.testLimit ? { testLimit: p.testLimit } : {}) },
    model: { arch: p.arch },
    epochs: p.epochs,
    seed: p.seed,
  });
  return openRunData(ctx.readDb(), cfg);
}

/** Softmax of the model over the target's training images, in `target.trainIdx` order: [n * k]. */
async function targetPosteriors(model: Model, target: RunData, batchSize: number): Promise<Float32Array> {
  const k = model.spec.numClasses;
  const out = new Float32Array(target.trainIdx.length * k);
  for (let start = 0; start < target.trainIdx.length; start += batchSize) {
    const idx = target.trainIdx.subarray(start, start + batchSize);
    const b = await evalBatch(target, target.train, idx);
    const probs = tf.tidy(() => tf.softmax(forward(model, tf.tensor4d(b.data, [b.n, target.height, target.width, target.channels]), { training: false }).logits).dataSync());
    out.set(probs, start * k);
  }
  return out;
}

/**
 * The `adapt.train` job. Every step reads one labeled source batch and, for
 * methods that use the target, one unlabeled target batch of the same size.
 * - source-only: cross-entropy on the source (the floor every method must beat);
 * - dann: plus the domain classifier's binary cross-entropy on the pooled
 *   features of both batches, through the gradient reversal layer with the
 *   2/(1+exp(-10p))-1 coefficient (Ganin & Lempitsky 2015);
 * - daaa: cross-entropy on the source and on its translations (same labels),
 *   the attention maps of every conv stage aligned between each source image
 *   and its translation, and from the second epoch a cross-entropy against
 *   each target image's label posterior, re-estimated by EM from the model
 *   as each epoch ends, for the next (README.md says why these choices).
 * Target labels are read only to report target accuracy after each epoch.
 *
 * Resumable: after every epoch a checkpoint (checkpoint.ts) holds the
 * classifier (BN statistics included), its momentum, DANN's domain classifier
 * and its momentum, and DAAA's EM posteriors for the next epoch. Everything
 * random derives from (seed, epoch, step) or (seed, epoch, sample): the
 * epoch's source and target order, augmentation, dropout. So a run resumed
 * after a cancel or crash ends with the same weights as an uninterrupted one
 * (same backend).
 */
export default async function run(ctx: JobRunContext<AdaptTrainParams>): Promise<AdaptTrainResult> {
  await initEngine();
  const p = ctx.params;
  const source = await openDomain(ctx, 'source', p.inputSize, p.limit);
  const size: [number, number] = [source.height, source.width];
  const target = await openDomain(ctx, 'target', size, p.limit);
  if (target.numClasses !== source.numClasses) {
    throw new Error(`targetDatasetId: dataset ${p.targetDatasetId} has ${target.numClasses} classes, the source has ${source.numClasses}; adaptation needs the same label set.`);
  }
  ctx.log(`Source: ${source.trainIdx.length} training / ${source.testIdx.length} test images; target: ${target.trainIdx.length} unlabeled / ${target.testIdx.length} held-out test images, ${size.join('x')}x3, ${source.numClasses} classes.`);
  const sgd = new Sgd({ momentum: p.momentum, nesterov: true, weightDecay: p.weightDecay });
  const headSgd = new Sgd({ momentum: p.momentum, nesterov: true, weightDecay: p.weightDecay });
  // The newest checkpoint along the resume chain: the job we continue, or the one it continued when it died before its first.
  const resumeFrom = ctx.resume ? findAlongChain(ctx.readDb(), ctx.resume.fromJobId, (id) => jobFolder(ctx.workspaceDir, id), (dir) => latestCheckpoint(dir)) : null;
  let restored: LoadedAdaptCheckpoint | null = null;
  let model: Model;
  if (resumeFrom) {
    restored = loadAdaptCheckpoint(resumeFrom.dir);
    model = restored.model;
    const st = restored.state;
    const s = model.spec.input;
    if (st.method !== p.method || st.seed !== p.seed || model.spec.arch !== p.arch || s.height !== size[0] || s.width !== size[1] || model.spec.numClasses !== source.numClasses) {
      disposeModel(model);
      throw new Error(`${resumeFrom.dir}: a checkpoint of ${st.method} ${model.spec.arch} (seed ${st.seed}, ${s.height}x${s.width}, ${model.spec.numClasses} classes) cannot continue ${p.method} ${p.arch} (seed ${p.seed}, ${size.join('x')}, ${source.numClasses} classes).`);
    }
    for (const [name, t] of restored.tensors) {
      if (name.startsWith('sgd/')) sgd.buffers.set(name.slice(4), tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), false)));
      if (name.startsWith('head-sgd/')) headSgd.buffers.set(name.slice(9), tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), false)));
    }
    ctx.log(`Resuming from ${resumeFrom.dir} after epoch ${st.epoch}.`);
  } else {
    model = initModel(buildSpec(p.arch, { ...p.modelOptions, inputSize: size, channels: 3, numClasses: source.numClasses }), hashSeed(p.seed, 1));
    if (ctx.resume) ctx.log('No checkpoint to resume from; starting from the beginning.', 'warn');
  }
  let head: DomainHead | null = null;
  try {
    const spec = model.spec;
    const params = new Map(expectedWeights(spec).filter((w) => w.trainable).map((w) => [w.name, model.weights.get(w.name) as tf.Variable]));
    const usesTarget = p.method === 'dann' || p.method === 'daaa';
    const daaa = p.method === 'daaa';
    const stages = daaa ? stageOutputs(model) : [];
    if (daaa && stages.length === 0) throw new Error(`arch: ${p.arch} has no stageN/ nodes to read attention from.`);
    const translation = daaa ? await translationsOf(ctx.readDb(), p.translatedDatasetId!, source.train, size) : null;
    // The source's class prior, EM's starting point.
    const sourcePrior = new Float64Array(source.numClasses);
    for (const i of source.trainIdx) sourcePrior[source.train.labels[i]!]! += 1 / source.trainIdx.length;
    if (p.method === 'dann') {
      // The pooled feature width, from one forward pass on a blank image.
      const width = tf.tidy(() => forward(model, tf.zeros([1, size[0], size[1], 3]) as tf.Tensor4D, { training: false }).features?.shape[1] ?? 0);
      if (!width) throw new Error(`arch: ${p.arch} names no pooled features for the domain classifier.`);
      // In a tidy: the initial values are freed once the variables hold them.
      head = tf.tidy(() => domainHead(width, p.domainHidden, p.seed));
      if (restored) {
        for (const [k, v] of Object.entries(head)) {
          const t = restored.tensors.get(`head/${k}`);
          if (!t || t.shape.join() !== v.shape.join()) throw new Error(`${resumeFrom!.dir}: the domain classifier's ${k} is missing or of another shape (domainHidden ${p.domainHidden}).`);
          tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
        }
      }
    }
    const shape: [number, number, number] = [size[0], size[1], 3];
    const history: AdaptEpoch[] = restored ? [...restored.state.history] : [];
    // DAAA: the target's soft labels the next epoch trains on (none in the first: an untrained model's posteriors say nothing).
    let soft: Float32Array | null = restored?.tensors.get('em/posteriors')?.data ?? null;
    let em: AdaptRunState['em'] = restored?.state.em ?? null;
    const firstEpoch = (restored?.state.epoch ?? 0) + 1;
    const stepsPerEpoch = Math.max(1, Math.floor(source.trainIdx.length / p.batchSize));
    const totalSteps = stepsPerEpoch * p.epochs;
    const started = Date.now();
    for (let epoch = firstEpoch; epoch <= p.epochs; epoch++) {
      const srcOrder = permutation(source.trainIdx.length, mulberry32(hashSeed(p.seed, epoch, 1)));
      const tgtOrder = permutation(target.trainIdx.length, mulberry32(hashSeed(p.seed, epoch, 2)));
      const sums: Record<string, number> = {};
      let correct = 0;
      let seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (ctx.signal.aborted) throw new Error('cancelled');
        const done = (epoch - 1) * stepsPerEpoch + step;
        // DANN's annealing, mu_p = mu_0 / (1 + 10 p)^0.75 over training progress p, for every method (one schedule, comparable runs).
        const lr = p.lr / Math.pow(1 + (10 * done) / totalSteps, 0.75);
        const sIdx = Int32Array.from(srcOrder.subarray(step * p.batchSize, (step + 1) * p.batchSize), (k) => source.trainIdx[k]!);
        const src = await trainBatch(source, sIdx, p.seed, epoch);
        let tgt: Awaited<ReturnType<typeof trainBatch>> | null = null;
        let tgtSoft: Float32Array | null = null;
        if (usesTarget && target.trainIdx.length > 0) {
          const positions = Array.from({ length: src.n }, (_, k) => tgtOrder[(step * p.batchSize + k) % tgtOrder.length]!);
          const tIdx = Int32Array.from(positions, (pos) => target.trainIdx[pos]!);
          tgt = await trainBatch(target, tIdx, p.seed, epoch);
          if (soft && tgt.n === positions.length) {
            const k = source.numClasses;
            tgtSoft = new Float32Array(positions.length * k);
            positions.forEach((pos, j) => tgtSoft!.set(soft!.subarray(pos * k, (pos + 1) * k), j * k));
          }
        }
        // DAAA: the translations of this source batch (pairs only where every image was read; rows without a translation left out).
        let pairs: { srcRows: number[]; pixels: Float32Array } | null = null;
        if (translation && src.n === sIdx.length) {
          const srcRows = Array.from(sIdx.keys()).filter((j) => translation.of[sIdx[j]!]! >= 0);
          if (srcRows.length > 0) {
            const px = await translation.reader.read(srcRows.map((j) => translation.of[sIdx[j]!]!));
            pairs = { srcRows, pixels: Float32Array.from(px, (v) => v / 255) };
          }
        }
        const lambda = grlCoefficient(done / totalSteps);
        const stats: BatchStats = new Map();
        const terms: Record<string, number> = {};
        try {
          // One tidy per step: inputs, the tape's intermediates and the gradients all end here;
          // variables (weights, momentum, BN statistics) are kept by tidy.
          tf.tidy(() => {
          const xs = tf.tensor4d(src.data, [src.n, ...shape]);
          const ys = tf.oneHot(tf.tensor1d(src.labels, 'int32'), source.numClasses);
          const xt = tgt ? tf.tensor4d(tgt.data, [tgt.n, ...shape]) : null;
          const xtr = pairs ? tf.tensor4d(pairs.pixels, [pairs.srcRows.length, ...shape]) : null;
          const vars = [...params.values()];
          const { value, grads } = tf.variableGrads(() => {
            // Every image of the step in one batch: BatchNorm sees the mixture, as DANN trains it.
            // [B source (+ B target) (+ P translated), H, W, 3]
            const parts = [xs, ...(xt ? [xt] : []), ...(xtr ? [xtr] : [])];
            const x = parts.length > 1 ? tf.concat(parts, 0) : xs;
            const out = forward(model, x, { training: true, seed: hashSeed(p.seed, done, 3), batchStats: stats, ...(daaa ? { taps: stages } : {}) });
            if (daaa) {
              let loss = tf.losses.softmaxCrossEntropy(ys, tf.slice(out.logits, [0, 0], [src.n, -1])) as tf.Scalar;
              correct += tf.sum(tf.cast(tf.equal(tf.argMax(tf.slice(out.logits, [0, 0], [src.n, -1]), 1), tf.argMax(ys, 1)), 'float32')).dataSync()[0]!;
              terms.classification = loss.dataSync()[0]!;
              const nt = xt ? tgt!.n : 0;
              if (xtr) {
                const off = src.n + nt;
                const np = pairs!.srcRows.length;
                const yPairs = tf.gather(ys, tf.tensor1d(pairs!.srcRows, 'int32'));
                const ceT = tf.losses.softmaxCrossEntropy(yPairs, tf.slice(out.logits, [off, 0], [np, -1])) as tf.Scalar;
                terms.translated = ceT.dataSync()[0]!;
                // Stage activations of each source image of a pair and of its translation.
                const rows = tf.tensor1d(pairs!.srcRows, 'int32');
                const a = stages.map((n) => tf.gather(out.nodes!.get(n)! as tf.Tensor4D, rows) as tf.Tensor4D);
                const b = stages.map((n) => tf.slice(out.nodes!.get(n)! as tf.Tensor4D, [off, 0, 0, 0], [np, -1, -1, -1]));
                const align = attentionAlignmentLoss(a, b);
                terms.attention = align.dataSync()[0]!;
                loss = tf.addN([loss, ceT, tf.mul(align, p.attentionWeight)]) as tf.Scalar;
              }
              if (xt && tgtSoft) {
                const q = tf.tensor2d(tgtSoft, [nt, source.numClasses]);
                const st = softCrossEntropy(tf.slice(out.logits, [src.n, 0], [nt, -1]) as tf.Tensor2D, q);
                terms.target = st.dataSync()[0]!;
                loss = tf.add(loss, tf.mul(st, p.targetWeight)) as tf.Scalar;
              }
              return loss;
            }
            const logits = xt ? tf.slice(out.logits, [0, 0], [src.n, -1]) : out.logits; // the source half [B,K]
            correct += tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(ys, 1)), 'float32')).dataSync()[0]!;
            const ce = tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
            terms.classification = ce.dataSync()[0]!;
            if (!xt) return ce;
            const dh = head!;
            const h = tf.relu(tf.add(tf.matMul(gradientReversal(out.features!, lambda), dh.w1), dh.b1));
            const d = tf.reshape(tf.add(tf.matMul(h, dh.w2), dh.b2), [-1]); // [2B,1] -> [2B] domain logits
            const domainLabels = tf.concat([tf.zeros([src.n]), tf.ones([tgt!.n])]);
            const bce = tf.losses.sigmoidCrossEntropy(domainLabels, d) as tf.Scalar;
            terms.domain = bce.dataSync()[0]!;
            return tf.add(ce, tf.mul(bce, p.domainWeight)) as tf.Scalar;
          }, head ? [...vars, head.w1, head.b1, head.w2, head.b2] : vars);
          terms.total = value.dataSync()[0]!;
          value.dispose();
          const byWeight = new Map<string, tf.Tensor>();
          for (const [name, v] of params) if (grads[v.name]) byWeight.set(name, grads[v.name]!);
          sgd.step(params, byWeight, lr);
          if (head) {
            const h = head;
            const headParams = new Map<string, tf.Variable>([['w1', h.w1], ['b1', h.b1], ['w2', h.w2], ['b2', h.b2]]);
            const headGrads = new Map<string, tf.Tensor>();
            for (const [k, v] of headParams) if (grads[v.name]) headGrads.set(k, grads[v.name]!);
            headSgd.step(headParams, headGrads, lr);
          }
          updateRunningStats(model, stats);
          });
        } finally {
          for (const s of stats.values()) tf.dispose([s.mean, s.variance]);
        }
        for (const [k, v] of Object.entries(terms)) sums[k] = (sums[k] ?? 0) + v;
        seen += src.n;
        ctx.progress({ step: `epoch ${epoch}/${p.epochs}, step ${step + 1}/${stepsPerEpoch}`, fraction: (done + 1) / totalSteps, throughput: { value: seen / ((Date.now() - started) / 1000), unit: 'img/s' } });
      }
      const losses = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / stepsPerEpoch]));
      const srcTest = source.test && source.testIdx.length ? await evaluate(model, source, source.test, source.testIdx, 256, ctx.signal) : null;
      const tgtTest = target.test && target.testIdx.length ? await evaluate(model, target, target.test, target.testIdx, 256, ctx.signal) : null;
      const row: AdaptEpoch = { epoch, losses, sourceAccuracy: srcTest?.accuracy ?? null, targetAccuracy: tgtTest?.accuracy ?? null };
      history.push(row);
      // DAAA: the target's soft labels for the next epoch, from the model as it ends this one (so the checkpoint holds them).
      soft = null;
      em = null;
      if (daaa && epoch < p.epochs && epoch + 1 >= p.emStartEpoch && p.targetWeight > 0) {
        const probs = await targetPosteriors(model, target, 256);
        const e = p.emPrior === 'balanced' ? balancedSoftLabels(probs, source.numClasses, sourcePrior) : emSoftLabels(probs, source.numClasses, sourcePrior);
        soft = e.posteriors;
        em = { prior: Array.from(e.prior), iterations: e.iterations };
        ctx.log(`EM (${p.emPrior}) target prior for epoch ${epoch + 1} after ${e.iterations} iterations: ${Array.from(e.prior, (v) => v.toFixed(3)).join(' ')}`);
      }
      const points: MetricPoint[] = [
        ...Object.entries(losses).map(([name, value]) => ({ step: epoch, epoch, name: `loss_${name}`, value })),
        { step: epoch, epoch, name: 'train_accuracy', value: correct / Math.max(1, seen) },
        ...(row.sourceAccuracy !== null ? [{ step: epoch, epoch, name: 'source_accuracy', value: row.sourceAccuracy }] : []),
        ...(row.targetAccuracy !== null ? [{ step: epoch, epoch, name: 'target_accuracy', value: row.targetAccuracy }] : []),
      ];
      ctx.metrics(points);
      const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(2)}%`);
      ctx.log(`epoch ${epoch}/${p.epochs}: ${Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}; source ${pct(row.sourceAccuracy)}, target ${pct(row.targetAccuracy)}`);
      const tensors = new Map<string, tf.Tensor | { data: Float32Array; shape: number[] }>();
      for (const [name, b] of sgd.buffers) tensors.set(`sgd/${name}`, b);
      if (head) for (const [k, v] of Object.entries(head)) tensors.set(`head/${k}`, v);
      for (const [name, b] of headSgd.buffers) tensors.set(`head-sgd/${name}`, b);
      if (soft) tensors.set('em/posteriors', { data: soft, shape: [target.trainIdx.length, source.numClasses] });
      const dir = checkpointDir(ctx.jobDir, epoch);
      await saveAdaptCheckpoint(dir, model, tensors, { epoch, history, em, method: p.method, seed: p.seed });
      await ctx.record('checkpoint', { dir, epoch });
    }
    const modelDir = path.join(ctx.jobDir, 'model');
    const last = history.at(-1)!;
    await saveModel(model, modelDir, { kind: 'trained', method: `adapt-${p.method}`, metrics: { sourceAccuracy: last.sourceAccuracy, targetAccuracy: last.targetAccuracy }, classNames: source.classNames });
    const names = ctx.readDb().prepare('SELECT id, name FROM datasets WHERE id IN (?, ?)').all(p.sourceDatasetId, p.targetDatasetId) as { id: number; name: string }[];
    const nameOf = (id: number): string => names.find((n) => n.id === id)?.name ?? `dataset ${id}`;
    return {
      method: p.method,
      name: p.name ?? `${p.arch} ${p.method} ${nameOf(p.sourceDatasetId)} → ${nameOf(p.targetDatasetId)}`,
      arch: p.arch,
      modelId: null,
      modelDir: path.relative(ctx.workspaceDir, modelDir),
      sourceDatasetId: p.sourceDatasetId,
      targetDatasetId: p.targetDatasetId,
      history,
      sourceAccuracy: last.sourceAccuracy,
      targetAccuracy: last.targetAccuracy,
      chance: 1 / source.numClasses,
    };
  } finally {
    disposeModel(model);
    if (head) tf.dispose(Object.values(head));
    for (const b of [...sgd.buffers.values(), ...headSgd.buffers.values()]) b.dispose();
  }
}
