import * as tf from '@tensorflow/tfjs-core';
import type { SpganConfig } from '../common/contract/spgan.ts';
import type { ResnetGenerator } from './nets/generator.ts';
import type { PatchDiscriminator } from './nets/discriminator.ts';
import type { SiameseNet } from './nets/siamese.ts';
import { lsgan, discriminatorLoss, l1, contrastive } from './losses.ts';
import { leanGrads, recordTape } from '../engine/lean-tape.ts';

/**
 * The gradients of SPGAN's three updates, two ways:
 *  - 'tape': one `tf.variableGrads` over each whole loss (the generator loss holds six
 *    generator passes, four PatchGAN passes and four Siamese passes on the tape at once);
 *  - 'lean' (default): the same losses split into pieces whose tapes are back-propagated and
 *    freed one after another (engine/lean-tape.ts): G(x_A) is recorded, then every term that
 *    reads G(x_A) (adversarial through D_B, cycle through F, contrastive through S) is
 *    back-propagated to G(x_A) on its own tape, and their summed gradient is pushed through
 *    G's tape; then the same for F(x_B); identity terms on their own tapes; the discriminators
 *    on real and pooled fakes as four tapes. At most two generator passes' activations are
 *    alive at a time instead of six.
 * Same gradient functions either way; only float32 summation order differs (test/spgan/step-gradients.test.ts).
 * `WORKBENCH_SPGAN_LEAN=0` (read per step) takes the tape path, for A/B.
 */
export type StepPath = 'tape' | 'lean';

export function stepPathFromEnv(): StepPath {
  return process.env.WORKBENCH_SPGAN_LEAN === '0' ? 'tape' : 'lean';
}

/** What the gradient functions read of the model (SpganModel has all of it). */
export interface SpganNets {
  readonly G: ResnetGenerator;
  readonly F: ResnetGenerator;
  readonly DA: PatchDiscriminator;
  readonly DB: PatchDiscriminator;
  readonly S: SiameseNet;
  readonly config: SpganConfig;
}

/** Gradients by variable name (what Optimizer.applyGradients takes); the caller disposes them. */
export type Grads = tf.NamedTensorMap;

export interface GeneratorGradients {
  grads: Grads;
  losses: { g_total: number; g_adv: number; cycle: number; identity?: number; contrastive?: number };
  /** G(x_A) and F(x_B), for the Siamese and discriminator updates; the caller disposes them. */
  fakeB: tf.Tensor4D;
  fakeA: tf.Tensor4D;
}

/** Sums gradients per variable name in arrival order. */
class GradSum {
  readonly grads: Grads = {};

  add(vars: tf.Variable[], grads: (tf.Tensor | null)[]): void {
    vars.forEach((v, i) => {
      const g = grads[i];
      if (g == null) return;
      const cur = this.grads[v.name];
      if (cur == null) this.grads[v.name] = g;
      else {
        this.grads[v.name] = tf.add(cur, g);
        cur.dispose();
        g.dispose();
      }
    });
  }
}

/** Reads scalars (summed in the order given) and disposes them. */
function readSum(parts: tf.Scalar[]): number {
  if (parts.length === 0) return 0;
  const total = tf.tidy(() => parts.slice(1).reduce<tf.Tensor>((s, p) => tf.add(s, p), parts[0]!));
  const v = total.dataSync()[0]!;
  tf.dispose([total, ...parts]);
  return v;
}

export function generatorGradients(m: SpganNets, realA: tf.Tensor4D, realB: tf.Tensor4D, contrastiveOn: boolean, path: StepPath): GeneratorGradients {
  return path === 'tape' ? generatorGradientsTape(m, realA, realB, contrastiveOn) : generatorGradientsLean(m, realA, realB, contrastiveOn);
}

function generatorGradientsTape(m: SpganNets, realA: tf.Tensor4D, realB: tf.Tensor4D, contrastiveOn: boolean): GeneratorGradients {
  const c = m.config;
  const useContrastive = contrastiveOn && c.lambdaContrastive > 0;
  const parts: Partial<Record<'g_adv' | 'cycle' | 'identity' | 'contrastive', tf.Scalar>> = {};
  const keep = (name: keyof typeof parts, t: tf.Scalar): tf.Scalar => {
    parts[name] = tf.keep(t);
    return t;
  };
  let fakeA: tf.Tensor4D | null = null;
  let fakeB: tf.Tensor4D | null = null;
  const gVars = [...m.G.params.trainable(), ...m.F.params.trainable()];
  const { value, grads } = tf.variableGrads(() => {
    const fB = m.G.apply(realA);
    const fA = m.F.apply(realB);
    fakeB = tf.keep(fB);
    fakeA = tf.keep(fA);
    const adv = keep('g_adv', tf.add(lsgan(m.DB.apply(fB), 1), lsgan(m.DA.apply(fA), 1)));
    const cyc = keep('cycle', tf.mul(c.lambdaCycle, tf.add(l1(m.F.apply(fB), realA), l1(m.G.apply(fA), realB))));
    let total = tf.add(adv, cyc);
    if (c.lambdaIdentity > 0) {
      const idt = keep('identity', tf.mul(c.lambdaIdentity, tf.add(l1(m.G.apply(realB), realB), l1(m.F.apply(realA), realA))));
      total = tf.add(total, idt);
    }
    if (useContrastive) {
      const eA = m.S.apply(realA, false);
      const eB = m.S.apply(realB, false);
      const eFB = m.S.apply(fB, false);
      const eFA = m.S.apply(fA, false);
      const positive = tf.add(contrastive(eA, eFB, true, c.margin), contrastive(eB, eFA, true, c.margin));
      const negative = tf.add(contrastive(eFB, eB, false, c.margin), contrastive(eFA, eA, false, c.margin));
      const term = keep('contrastive', tf.mul(c.lambdaContrastive, tf.add(positive, tf.mul(0.5, negative))));
      total = tf.add(total, term);
    }
    return total as tf.Scalar;
  }, gVars);
  const losses: GeneratorGradients['losses'] = { g_total: readSum([value]), g_adv: readSum([parts.g_adv!]), cycle: readSum([parts.cycle!]) };
  if (parts.identity) losses.identity = readSum([parts.identity]);
  if (parts.contrastive) losses.contrastive = readSum([parts.contrastive]);
  // Set inside the closure above; TypeScript cannot see that.
  return { grads, losses, fakeA: fakeA as unknown as tf.Tensor4D, fakeB: fakeB as unknown as tf.Tensor4D };
}

function generatorGradientsLean(m: SpganNets, realA: tf.Tensor4D, realB: tf.Tensor4D, contrastiveOn: boolean): GeneratorGradients {
  const c = m.config;
  const useContrastive = contrastiveOn && c.lambdaContrastive > 0;
  const gVars = m.G.params.trainable();
  const fVars = m.F.params.trainable();
  const sum = new GradSum();
  const parts = { adv: [] as tf.Scalar[], cycle: [] as tf.Scalar[], identity: [] as tf.Scalar[], contrastive: [] as tf.Scalar[] };
  // S is not trained by this loss: the real images' embeddings are constants here.
  const [eA, eB] = useContrastive ? tf.tidy(() => [m.S.apply(realA, false), m.S.apply(realB, false)]) : [null, null];
  const fakes: tf.Tensor4D[] = [];
  try {
    // One direction: fake = gen(real); the terms that read fake are back-propagated to it one
    // tape at a time, then their summed gradient goes through gen's tape.
    const direction = (gen: ResnetGenerator, genVars: tf.Variable[], other: ResnetGenerator, otherVars: tf.Variable[], D: PatchDiscriminator, real: tf.Tensor4D, eSelf: tf.Tensor2D | null, eOther: tf.Tensor2D | null): void => {
      const { result: fake, tape } = recordTape(() => gen.apply(real));
      fakes.push(fake);
      const dFake: { sum: tf.Tensor | null } = { sum: null };
      const addDFake = (g: tf.Tensor | null): void => {
        if (g == null) return;
        if (dFake.sum == null) dFake.sum = g;
        else {
          const s = tf.add(dFake.sum, g);
          tf.dispose([dFake.sum, g]);
          dFake.sum = s;
        }
      };
      try {
        const adv = leanGrads(() => lsgan(D.apply(fake), 1), [fake]);
        parts.adv.push(adv.value);
        addDFake(adv.grads[0]!);
        const cyc = leanGrads(() => tf.mul(c.lambdaCycle, l1(other.apply(fake), real)), [fake, ...otherVars]);
        parts.cycle.push(cyc.value);
        addDFake(cyc.grads[0]!);
        sum.add(otherVars, cyc.grads.slice(1));
        if (eSelf && eOther) {
          const con = leanGrads(() => {
            const e = m.S.apply(fake, false);
            return tf.mul(c.lambdaContrastive, tf.add(contrastive(eSelf, e, true, c.margin), tf.mul(0.5, contrastive(e, eOther, false, c.margin))));
          }, [fake]);
          parts.contrastive.push(con.value);
          addDFake(con.grads[0]!);
        }
        sum.add(genVars, tape.backward([{ y: fake, dy: dFake.sum! }], genVars));
      } finally {
        tape.dispose();
        if (dFake.sum) dFake.sum.dispose();
      }
    };
    direction(m.G, gVars, m.F, fVars, m.DB, realA, eA, eB);
    direction(m.F, fVars, m.G, gVars, m.DA, realB, eB, eA);
    if (c.lambdaIdentity > 0) {
      const idG = leanGrads(() => tf.mul(c.lambdaIdentity, l1(m.G.apply(realB), realB)), gVars);
      sum.add(gVars, idG.grads);
      const idF = leanGrads(() => tf.mul(c.lambdaIdentity, l1(m.F.apply(realA), realA)), fVars);
      sum.add(fVars, idF.grads);
      parts.identity.push(idG.value, idF.value);
    }
  } catch (e) {
    tf.dispose([...fakes, ...Object.values(sum.grads)]);
    throw e;
  } finally {
    tf.dispose([eA, eB].filter((t): t is tf.Tensor2D => t != null));
  }
  const totalParts = [...parts.adv, ...parts.cycle, ...parts.identity, ...parts.contrastive].map((t) => tf.clone(t) as tf.Scalar);
  const losses: GeneratorGradients['losses'] = { g_total: readSum(totalParts), g_adv: readSum(parts.adv), cycle: readSum(parts.cycle) };
  if (c.lambdaIdentity > 0) losses.identity = readSum(parts.identity);
  if (useContrastive) losses.contrastive = readSum(parts.contrastive);
  return { grads: sum.grads, losses, fakeB: fakes[0]!, fakeA: fakes[1]! };
}

/** The Siamese net's contrastive loss on (x_A, G(x_A)), (x_B, F(x_B)) positives and (x_A, x_B) negative; fakes are constants. */
export function siameseGradients(m: SpganNets, realA: tf.Tensor4D, realB: tf.Tensor4D, fakeA: tf.Tensor4D, fakeB: tf.Tensor4D, path: StepPath): { grads: Grads; loss: number } {
  const c = m.config;
  const vars = m.S.params.trainable();
  // Dropout masks are drawn per apply in this order (eA, eB, S(fakeB), S(fakeA)) on both paths.
  const loss = (): tf.Scalar => {
    const eA = m.S.apply(realA, true);
    const eB = m.S.apply(realB, true);
    const positive = tf.add(contrastive(eA, m.S.apply(fakeB, true), true, c.margin), contrastive(eB, m.S.apply(fakeA, true), true, c.margin));
    return tf.add(positive, contrastive(eA, eB, false, c.margin)) as tf.Scalar;
  };
  if (path === 'tape') {
    const { value, grads } = tf.variableGrads(loss, vars);
    return { grads, loss: readSum([value]) };
  }
  const { value, grads } = leanGrads(loss, vars);
  const sum = new GradSum();
  sum.add(vars, grads);
  return { grads: sum.grads, loss: readSum([value]) };
}

/** The PatchGANs' least-squares loss on real images and pooled fakes. */
export function discriminatorGradients(m: SpganNets, realA: tf.Tensor4D, realB: tf.Tensor4D, pooledA: tf.Tensor4D, pooledB: tf.Tensor4D, path: StepPath): { grads: Grads; d_A: number; d_B: number } {
  const aVars = m.DA.params.trainable();
  const bVars = m.DB.params.trainable();
  if (path === 'tape') {
    let dA: tf.Scalar | null = null;
    let dB: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      dA = tf.keep(discriminatorLoss(m.DA.apply(realA), m.DA.apply(pooledA)));
      dB = tf.keep(discriminatorLoss(m.DB.apply(realB), m.DB.apply(pooledB)));
      return tf.add(dA, dB);
    }, [...aVars, ...bVars]);
    value.dispose();
    // Set inside the closure above; TypeScript cannot see that.
    return { grads, d_A: readSum([dA as unknown as tf.Scalar]), d_B: readSum([dB as unknown as tf.Scalar]) };
  }
  // 0.5 * [(D(real) - 1)^2 + D(fake)^2] as two tapes per D: the factor 0.5 is a power of two,
  // so each half's gradient is what the whole loss's tape gives it.
  const sum = new GradSum();
  const half = (D: PatchDiscriminator, vars: tf.Variable[], x: tf.Tensor4D, target: 0 | 1): tf.Scalar => {
    const r = leanGrads(() => tf.mul(0.5, lsgan(D.apply(x), target)), vars);
    sum.add(vars, r.grads);
    return r.value;
  };
  const a = [half(m.DA, aVars, realA, 1), half(m.DA, aVars, pooledA, 0)];
  const b = [half(m.DB, bVars, realB, 1), half(m.DB, bVars, pooledB, 0)];
  return { grads: sum.grads, d_A: readSum(a), d_B: readSum(b) };
}
