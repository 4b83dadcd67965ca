import type { EngineInfo } from '../../common/contract/engine.ts';

/** One line naming the engine a timing was taken on, e.g. 'wasm (CPU, 2 threads, SIMD)'. */
export function engineLabel(e: EngineInfo): string {
  return `${e.backend} (${e.device}, ${e.threads} thread${e.threads === 1 ? '' : 's'}${e.simd ? ', SIMD' : ''})`;
}
