/**
 * A second thread for the engine's JS kernels (BatchNorm statistics and
 * gradients) on the threaded wasm backend.
 *
 * Why: those kernels are plain JS loops and would run on one core while
 * XNNPACK's own threads idle; with the threaded build the wasm heap is a
 * SharedArrayBuffer, so a worker_thread can loop over its half of the rows in
 * place. Handshake through Atomics on a small shared control block (the main
 * thread blocks in Atomics.wait, which Node allows): no messages, no copies.
 * The loops exist once, as source text run by both threads. Any failure of
 * the helper (start, a 10 s wait) turns it off and the main thread does all
 * rows; results never depend on the split (per-channel sums are combined in
 * float64 in a fixed order).
 */
import { Worker } from 'node:worker_threads';
import type { WasmMemoryLike } from '../backends/wasm-threads.ts';

/** Rows [r0, r1) of x viewed as [rows, c]; `acc` receives per-channel float64 sums at acc[k], acc[c + k]. */
const LOOPS = `
function sums1(x, xo, c, r0, r1, acc) {
  for (let row = r0, base = xo + r0 * c; row < r1; row++, base += c) {
    for (let k = 0; k < c; k++) { const v = x[base + k]; acc[k] += v; acc[c + k] += v * v; }
  }
}
function sums2(x, xo, dy, dyo, c, r0, r1, acc) {
  for (let row = r0, bx = xo + r0 * c, bd = dyo + r0 * c; row < r1; row++, bx += c, bd += c) {
    for (let k = 0; k < c; k++) { const d = dy[bd + k]; acc[k] += d; acc[c + k] += d * x[bx + k]; }
  }
}
function affine1(x, xo, y, yo, c, r0, r1, coef) {
  for (let row = r0, bx = xo + r0 * c, by = yo + r0 * c; row < r1; row++, bx += c, by += c) {
    for (let k = 0; k < c; k++) y[by + k] = x[bx + k] * coef[k] + coef[c + k];
  }
}
function affine2(dy, dyo, x, xo, y, yo, c, r0, r1, coef) {
  for (let row = r0, bd = dyo + r0 * c, bx = xo + r0 * c, by = yo + r0 * c; row < r1; row++, bd += c, bx += c, by += c) {
    for (let k = 0; k < c; k++) y[by + k] = coef[k] * dy[bd + k] + coef[c + k] * x[bx + k] + coef[2 * c + k];
  }
}
`;

type F32 = Float32Array;
interface Loops {
  sums1(x: F32, xo: number, c: number, r0: number, r1: number, acc: Float64Array): void;
  sums2(x: F32, xo: number, dy: F32, dyo: number, c: number, r0: number, r1: number, acc: Float64Array): void;
  affine1(x: F32, xo: number, y: F32, yo: number, c: number, r0: number, r1: number, coef: Float64Array): void;
  affine2(dy: F32, dyo: number, x: F32, xo: number, y: F32, yo: number, c: number, r0: number, r1: number, coef: Float64Array): void;
}

// The same source text as the helper thread runs; `new Function` keeps one copy of the loops.
export const loops = new Function(`${LOOPS}; return { sums1, sums2, affine1, affine2 };`)() as Loops;

/** Channels the control block has room for (ResNet-50 has 2048). */
const MAX_CHANNELS = 4096;
const OPS = ['sums1', 'sums2', 'affine1', 'affine2'] as const;
type Op = (typeof OPS)[number];
/** Below this many elements the handshake costs more than it saves. */
const MIN_PARALLEL_ELEMENTS = 1 << 16;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
${LOOPS}
const { memory, control } = workerData;
const ctl = new Int32Array(control, 0, 16);
const params = new Float64Array(control, 64, 16);
const coef = new Float64Array(control, 192, ${3 * MAX_CHANNELS});
const acc = new Float64Array(control, 192 + ${3 * MAX_CHANNELS * 8}, ${2 * MAX_CHANNELS});
const ops = ${JSON.stringify(OPS)};
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  try {
    const heap = new Float32Array(memory.buffer);
    const [o1, o2, o3, c, r0, r1] = params;
    const op = ops[ctl[1]];
    if (op === 'sums1' || op === 'sums2') acc.fill(0, 0, 2 * c);
    if (op === 'sums1') sums1(heap, o1, c, r0, r1, acc);
    else if (op === 'sums2') sums2(heap, o1, heap, o2, c, r0, r1, acc);
    else if (op === 'affine1') affine1(heap, o1, heap, o2, c, r0, r1, coef);
    else affine2(heap, o1, heap, o2, heap, o3, c, r0, r1, coef);
    ctl[3] = 0;
  } catch (e) {
    ctl[3] = 1;
  }
  Atomics.store(ctl, 2, seen);
  Atomics.notify(ctl, 2);
}
`;

class Helper {
  readonly ctl: Int32Array;
  readonly params: Float64Array;
  readonly coef: Float64Array;
  readonly acc: Float64Array;
  private seq = 0;
  private readonly worker: Worker;

  constructor(memory: WasmMemoryLike) {
    const control = new SharedArrayBuffer(192 + 5 * MAX_CHANNELS * 8);
    this.ctl = new Int32Array(control, 0, 16);
    this.params = new Float64Array(control, 64, 16);
    this.coef = new Float64Array(control, 192, 3 * MAX_CHANNELS);
    this.acc = new Float64Array(control, 192 + 3 * MAX_CHANNELS * 8, 2 * MAX_CHANNELS);
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, control } });
    this.worker.unref();
    this.worker.on('error', () => {
      helper = null;
    });
  }

  start(op: Op, offsets: number[], c: number, r0: number, r1: number): void {
    this.params.set([offsets[0] ?? 0, offsets[1] ?? 0, offsets[2] ?? 0, c, r0, r1]);
    this.ctl[1] = OPS.indexOf(op);
    this.seq++;
    Atomics.store(this.ctl, 0, this.seq);
    Atomics.notify(this.ctl, 0);
  }

  /** Waits for the helper; false (and the helper switched off) on an error or a stall. */
  finish(): boolean {
    while (Atomics.load(this.ctl, 2) !== this.seq) {
      if (Atomics.wait(this.ctl, 2, Atomics.load(this.ctl, 2), 10_000) === 'timed-out' && Atomics.load(this.ctl, 2) !== this.seq) {
        this.stop();
        return false;
      }
    }
    if (this.ctl[3] !== 0) {
      this.stop();
      return false;
    }
    return true;
  }

  stop(): void {
    helper = null;
    Atomics.store(this.ctl, 0, -1);
    Atomics.notify(this.ctl, 0);
    void this.worker.terminate();
  }
}

let helper: Helper | null = null;

/** Starts the helper thread over the threaded wasm heap (idempotent). Returns whether one runs. */
export function startJsHelper(memory: WasmMemoryLike | null): boolean {
  if (helper) return true;
  if (!memory || !(memory.buffer instanceof SharedArrayBuffer)) return false;
  try {
    helper = new Helper(memory);
    return true;
  } catch {
    helper = null;
    return false;
  }
}

export function jsHelperRunning(): boolean {
  return helper != null;
}

/** A float32 operand: an array and the index where the tensor starts in it. */
export interface Operand {
  array: Float32Array;
  offset: number;
}

/**
 * Runs `op` over rows [0, rows) of [rows, c] operands (x, then dy / y as the
 * op needs), splitting the rows with the helper thread when all operands live
 * in the shared wasm heap and the tensor is large. For sums the per-channel
 * result lands in `acc` (2c values); affine ops read `coef` (2c or 3c values).
 */
export function runRows(op: Op, operands: Operand[], c: number, rows: number, coef: Float64Array | null, acc: Float64Array | null): void {
  const shared = operands.every((o) => o.array.buffer instanceof SharedArrayBuffer && o.array.buffer === operands[0]!.array.buffer);
  const h = shared && rows * c >= MIN_PARALLEL_ELEMENTS && c <= MAX_CHANNELS ? helper : null;
  const split = h ? rows >> 1 : rows;
  if (h && coef) h.coef.set(coef.subarray(0, (op === 'affine2' ? 3 : 2) * c));
  if (h) h.start(op, operands.map((o) => o.offset), c, split, rows);
  const part = acc ? new Float64Array(2 * c) : null;
  const [a, b, d] = operands as [Operand, Operand | undefined, Operand | undefined];
  const rowsOf = (r0: number, r1: number): void => {
    if (op === 'sums1') loops.sums1(a.array, a.offset, c, r0, r1, part!);
    else if (op === 'sums2') loops.sums2(a.array, a.offset, b!.array, b!.offset, c, r0, r1, part!);
    else if (op === 'affine1') loops.affine1(a.array, a.offset, b!.array, b!.offset, c, r0, r1, coef!);
    else loops.affine2(a.array, a.offset, b!.array, b!.offset, d!.array, d!.offset, c, r0, r1, coef!);
  };
  rowsOf(0, split);
  if (h && !h.finish()) {
    rowsOf(split, rows); // the helper failed: do its rows here
  } else if (h && part) {
    for (let i = 0; i < 2 * c; i++) part[i]! += h.acc[i]!;
  }
  if (acc && part) acc.set(part);
}
