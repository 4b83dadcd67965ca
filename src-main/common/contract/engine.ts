import { z } from 'zod';
import { call } from './define.ts';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface EngineInfo {
  backend: BackendName;
  /** e.g. 'NVIDIA H100' for tfjs-node-gpu, 'CPU' otherwise. */
  device: string;
  gpu: boolean;
  threads: number;
  simd: boolean;
  versions: Record<string, string>;
  /** One line per preferred backend that failed to load, e.g. "tensorflow: libtensorflow not installed". */
  fallbacks: string[];
}

export const engineCalls = {
  'engine.info': call<EngineInfo>()(z.object({}).strict(), 'The compute engine jobs run on (probed in a job process).'),
};
