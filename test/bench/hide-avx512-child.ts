/**
 * Child of hide-avx512.test.ts, run with and without the library preloaded: starts the engine
 * (wasm + native kernels), runs one op on it, and makes WebAssembly trap on an out-of-bounds
 * load (Node's SIGSEGV handler turns that into a RangeError). Prints what it saw as JSON.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src-main/engine/init.ts';

const engine = await initEngine({ backend: 'wasm', threads: 1 });
const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());

// (module (memory 1) (func (export "f") (result i32) i32.const 70000 i32.load)): 70000 is past the one 64 KiB page.
const module = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00,
  0x01, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0xf0, 0xa2, 0x04, 0x28, 0x02, 0x00, 0x0b,
]);
// Node's global; the project's TypeScript libs leave WebAssembly's declarations out.
const wasm = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }> } }).WebAssembly;
const { instance } = await wasm.instantiate(module);
let trap = 'no trap';
try {
  (instance.exports.f as () => number)();
} catch (error) {
  trap = (error as Error).message;
}
console.log(JSON.stringify({ device: engine.device, sum: Array.from(sum), trap }));
process.exit(0);
