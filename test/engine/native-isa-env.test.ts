/**
 * WORKBENCH_NATIVE_ISA forces a lesser kernel set for A/B timing. A value the addon does not know
 * (e.g. "avx512" for "avx512f") used to fall through to the portable kernels without a word, so a
 * benchmark labelled AVX-512 measured the generic build: the engine now refuses to start, naming it.
 */
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { forcedIsaValues } from '../../src-main/engine/native/addon.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./engine-start-child.ts', import.meta.url));

async function start(isa: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, WORKBENCH_NATIVE_ISA: isa } });
    return { code: 0, out: r.stdout };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, out: e.stderr };
  }
}

describe('WORKBENCH_NATIVE_ISA', () => {
  it('refuses a value it does not know, naming the variable and the accepted values', async () => {
    const r = await start('avx512');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('WORKBENCH_NATIVE_ISA=avx512 is not an ISA');
    for (const v of forcedIsaValues) expect(r.out).toContain(v);
  }, 60_000);

  it('runs the kernels it names', async () => {
    const r = await start('generic');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/native generic kernels/);
  }, 60_000);
});
