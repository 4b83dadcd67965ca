import * as tf from '@tensorflow/tfjs-core';
import type { SpganConfig } from '../common/contract/spgan.ts';
import { ResnetGenerator } from './nets/generator.ts';
import { PatchDiscriminator } from './nets/discriminator.ts';
import { SiameseNet } from './nets/siamese.ts';
import { HistoryPool } from './history-pool.ts';
import { lsgan, discriminatorLoss, l1, contrastive } from './losses.ts';
import type { ParamStore } from '../nn/params.ts';
import { fusedAdam } from '../engine/ops/adam.ts';

export type SpganArch = Pick<
  SpganConfig,
  'imageSize' | 'residualBlocks' | 'generatorWidth' | 'discriminatorWidth' | 'discriminatorLayers' | 'siameseWidth' | 'seed'
>;

export type SpganLosses = Record<'g_total' | 'g_adv' | 'cycle' | 'identity' | 'contrastive' | 'siamese' | 'd_A' | 'd_B', number>;

/**
 * SPGAN = CycleGAN (G: A->B, F: B->A, PatchGAN D_A, D_B) + a Siamese net S.
 * A is the labeled source domain, B the target domain.
 *
 * Reference variant followed: the PyTorch port (256x128 images, batch 8). Its
 * generator contrastive term is: positive pairs (x_A, G(x_A)) and (x_B, F(x_B))
 * plus the translated negatives (G(x_A), x_B) and (F(x_B), x_A) at half weight,
 * switched on from `contrastiveFromEpoch` (2 = after the first epoch). S itself
 * is trained on the same positive pairs (translations detached) with the raw
 * pair (x_A, x_B) as its negative, as the TF original does.
 * contrastive weight 0 = CycleGAN + identity loss; identity 0 too = plain CycleGAN.
 */
export class SpganModel {
  readonly G: ResnetGenerator;
  readonly F: ResnetGenerator;
  readonly DA: PatchDiscriminator;
  readonly DB: PatchDiscriminator;
  readonly S: SiameseNet;
  readonly poolA: HistoryPool;
  readonly poolB: HistoryPool;
  readonly optG: tf.Optimizer;
  readonly optD: tf.Optimizer;
  readonly optS: tf.Optimizer;
  readonly config: SpganConfig;

  constructor(config: SpganConfig, random: () => number) {
    this.config = config;
    const s = config.seed * 1000;
    this.G = new ResnetGenerator('G_AtoB', config.generatorWidth, config.residualBlocks, s + 1);
    this.F = new ResnetGenerator('F_BtoA', config.generatorWidth, config.residualBlocks, s + 2);
    this.DA = new PatchDiscriminator('D_A', config.discriminatorWidth, config.discriminatorLayers, s + 3);
    this.DB = new PatchDiscriminator('D_B', config.discriminatorWidth, config.discriminatorLayers, s + 4);
    this.S = new SiameseNet('S', config.siameseWidth, s + 5);
    this.poolA = new HistoryPool(config.poolSize, random);
    this.poolB = new HistoryPool(config.poolSize, random);
    this.optG = fusedAdam(config.learningRate, config.beta1, 0.999);
    this.optD = fusedAdam(config.learningRate, config.beta1, 0.999);
    this.optS = fusedAdam(config.learningRate, config.beta1, 0.999);
    this.build();
  }

  /** Creates every weight with one forward pass, so optimisers get complete variable lists. */
  private build(): void {
    const [h, w] = this.config.imageSize;
    tf.tidy(() => {
      const x = tf.zeros([1, h, w, 3]) as tf.Tensor4D;
      const y = this.G.apply(x);
      this.F.apply(y);
      const pa = this.DA.apply(x);
      this.DB.apply(x);
      this.S.apply(x, false);
      if (pa.shape[1] < 1 || pa.shape[2] < 1) throw new Error(`Image size ${h}x${w} leaves no PatchGAN patches with ${this.config.discriminatorLayers} layers: use fewer discriminatorLayers.`);
    });
  }

  stores(): ParamStore[] {
    return [this.G.params, this.F.params, this.DA.params, this.DB.params, this.S.params];
  }

  /** G(x): source -> target translation, [-1, 1] in and out. */
  translate(x: tf.Tensor4D, direction: 'AtoB' | 'BtoA' = 'AtoB'): tf.Tensor4D {
    return tf.tidy(() => (direction === 'AtoB' ? this.G.apply(x) : this.F.apply(x)));
  }

  /**
   * One optimisation step on a batch of each domain ([B, H, W, 3] in [-1, 1]):
   * generators, then the Siamese net, then the discriminators on pooled fakes.
   */
  trainStep(realA: tf.Tensor4D, realB: tf.Tensor4D, contrastiveOn: boolean): SpganLosses {
    const c = this.config;
    const scalars: Partial<Record<keyof SpganLosses, tf.Scalar>> = {};
    const keepScalar = (name: keyof SpganLosses, t: tf.Scalar): tf.Scalar => {
      scalars[name] = tf.keep(t);
      return t;
    };
    let fakeA: tf.Tensor4D | null = null;
    let fakeB: tf.Tensor4D | null = null;
    const useContrastive = contrastiveOn && c.lambdaContrastive > 0;

    const gVars = [...this.G.params.trainable(), ...this.F.params.trainable()];
    const gStep = tf.variableGrads(() => {
      const fB = this.G.apply(realA);
      const fA = this.F.apply(realB);
      fakeB = tf.keep(fB);
      fakeA = tf.keep(fA);
      const adv = keepScalar('g_adv', tf.add(lsgan(this.DB.apply(fB), 1), lsgan(this.DA.apply(fA), 1)));
      const cyc = keepScalar('cycle', tf.mul(c.lambdaCycle, tf.add(l1(this.F.apply(fB), realA), l1(this.G.apply(fA), realB))));
      let total = tf.add(adv, cyc);
      if (c.lambdaIdentity > 0) {
        const idt = keepScalar('identity', tf.mul(c.lambdaIdentity, tf.add(l1(this.G.apply(realB), realB), l1(this.F.apply(realA), realA))));
        total = tf.add(total, idt);
      }
      if (useContrastive) {
        const eA = this.S.apply(realA, false);
        const eB = this.S.apply(realB, false);
        const eFB = this.S.apply(fB, false);
        const eFA = this.S.apply(fA, false);
        const positive = tf.add(contrastive(eA, eFB, true, c.margin), contrastive(eB, eFA, true, c.margin));
        const negative = tf.add(contrastive(eFB, eB, false, c.margin), contrastive(eFA, eA, false, c.margin));
        const term = keepScalar('contrastive', tf.mul(c.lambdaContrastive, tf.add(positive, tf.mul(0.5, negative))));
        total = tf.add(total, term);
      }
      return total as tf.Scalar;
    }, gVars);
    this.optG.applyGradients(gStep.grads);
    const gTotal = gStep.value.dataSync()[0];
    tf.dispose([gStep.value, ...Object.values(gStep.grads)]);
    // Set inside the closure above; TypeScript cannot see that.
    const fa = fakeA as unknown as tf.Tensor4D;
    const fb = fakeB as unknown as tf.Tensor4D;

    let siamese = 0;
    if (c.lambdaContrastive > 0) {
      const sStep = tf.variableGrads(() => {
        const eA = this.S.apply(realA, true);
        const eB = this.S.apply(realB, true);
        const positive = tf.add(contrastive(eA, this.S.apply(fb, true), true, c.margin), contrastive(eB, this.S.apply(fa, true), true, c.margin));
        return tf.add(positive, contrastive(eA, eB, false, c.margin)) as tf.Scalar;
      }, this.S.params.trainable());
      this.optS.applyGradients(sStep.grads);
      siamese = sStep.value.dataSync()[0];
      tf.dispose([sStep.value, ...Object.values(sStep.grads)]);
    }

    const pooledA = this.poolA.query(fa);
    const pooledB = this.poolB.query(fb);
    const dVars = [...this.DA.params.trainable(), ...this.DB.params.trainable()];
    const dStep = tf.variableGrads(() => {
      const dA = keepScalar('d_A', discriminatorLoss(this.DA.apply(realA), this.DA.apply(pooledA)));
      const dB = keepScalar('d_B', discriminatorLoss(this.DB.apply(realB), this.DB.apply(pooledB)));
      return tf.add(dA, dB);
    }, dVars);
    this.optD.applyGradients(dStep.grads);
    tf.dispose([dStep.value, ...Object.values(dStep.grads), pooledA, pooledB, fa, fb]);

    const out: SpganLosses = { g_total: gTotal, g_adv: 0, cycle: 0, identity: 0, contrastive: 0, siamese, d_A: 0, d_B: 0 };
    for (const [name, t] of Object.entries(scalars) as [keyof SpganLosses, tf.Scalar][]) {
      out[name] = t.dataSync()[0];
      t.dispose();
    }
    return out;
  }

  /** Every weight by its full name (for checkpoints). */
  variables(): Map<string, tf.Variable> {
    const all = new Map<string, tf.Variable>();
    for (const store of this.stores()) for (const [k, v] of store.all()) all.set(k, v);
    return all;
  }

  dispose(): void {
    for (const store of this.stores()) store.dispose();
    this.poolA.dispose();
    this.poolB.dispose();
    this.optG.dispose();
    this.optD.dispose();
    this.optS.dispose();
  }
}
