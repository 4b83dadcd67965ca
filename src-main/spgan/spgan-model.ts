import * as tf from '@tensorflow/tfjs-core';
import type { SpganConfig } from '../common/contract/spgan.ts';
import { ResnetGenerator } from './nets/generator.ts';
import { PatchDiscriminator } from './nets/discriminator.ts';
import { SiameseNet } from './nets/siamese.ts';
import { HistoryPool } from './history-pool.ts';
import { generatorGradients, siameseGradients, discriminatorGradients, stepPathFromEnv, type StepPath } from './step-gradients.ts';
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
   * Gradients come from step-gradients.ts: pieces of each loss back-propagated and freed
   * one after another ('lean', the default), or `WORKBENCH_SPGAN_LEAN=0`: one TF.js tape per loss.
   */
  trainStep(realA: tf.Tensor4D, realB: tf.Tensor4D, contrastiveOn: boolean, path: StepPath = stepPathFromEnv()): SpganLosses {
    const c = this.config;
    const g = generatorGradients(this, realA, realB, contrastiveOn, path);
    this.optG.applyGradients(g.grads);
    tf.dispose(Object.values(g.grads));
    const { fakeA, fakeB } = g;

    let siamese = 0;
    if (c.lambdaContrastive > 0) {
      const s = siameseGradients(this, realA, realB, fakeA, fakeB, path);
      this.optS.applyGradients(s.grads);
      tf.dispose(Object.values(s.grads));
      siamese = s.loss;
    }

    const pooledA = this.poolA.query(fakeA);
    const pooledB = this.poolB.query(fakeB);
    const d = discriminatorGradients(this, realA, realB, pooledA, pooledB, path);
    this.optD.applyGradients(d.grads);
    tf.dispose([...Object.values(d.grads), pooledA, pooledB, fakeA, fakeB]);

    const l = g.losses;
    return { g_total: l.g_total, g_adv: l.g_adv, cycle: l.cycle, identity: l.identity ?? 0, contrastive: l.contrastive ?? 0, siamese, d_A: d.d_A, d_B: d.d_B };
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
