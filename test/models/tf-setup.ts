/**
 * Tests run on the pure-JS cpu backend (tiny shapes), through the engine's
 * initEngine so gradients and the fused BatchNorm are set up as in a job.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src-main/engine/init.ts';

export async function useCpu(): Promise<typeof tf> {
  await initEngine({ backend: 'cpu' });
  return tf;
}
