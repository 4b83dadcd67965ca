import * as tf from '@tensorflow/tfjs-core';

/**
 * TF.js' gradient tape, recorded and back-propagated in pieces, with memory freed as it goes.
 *
 * `tf.variableGrads` / `tf.grads` keep every tensor a kernel saved for its gradient, and every
 * intermediate gradient, until the whole backward pass ends, and a loss made of several
 * networks (SPGAN: six generator passes, four discriminator and four Siamese passes in one
 * generator loss) holds all their activations at once. Here:
 *   - `recordTape(f)` runs f with the engine's tape on and hands the tape back instead of
 *     back-propagating at once, so a caller can record one sub-network, run other pieces, and
 *     back-propagate it later with a gradient it computed in between (a vector-Jacobian product);
 *   - `tape.backward(seeds, xs)` walks the nodes in reverse like TF.js' backpropagateGradients
 *     (same gradient functions, same order, same accumulation by `add`), but disposes each
 *     node's saved tensors right after its gradient ran, and each intermediate gradient once
 *     the node that produced the tensor has consumed it. Saved tensors of nodes off the path
 *     from xs to the seeds are freed before the walk.
 * The gradients are those of TF.js' tape (bit for bit for one tape: same kernels in the same
 * order); splitting a loss over several tapes changes only the order of float32 additions.
 *
 * Uses the engine's tape internals (`startTape`, `endTape`, `state.activeTape`), which
 * tfjs-core 4.x keeps private in its typings; the checks below fail loudly if they move.
 */

/** The parts of a TF.js tape node (tfjs-core/dist/tape.d.ts) read here. */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineTapeInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
}

function engineInternals(): EngineTapeInternals {
  const engine = tf.engine() as unknown as EngineTapeInternals;
  if (typeof engine.startTape !== 'function' || typeof engine.endTape !== 'function' || engine.state == null) {
    throw new Error('lean-tape: this tfjs-core has no startTape/endTape/state.activeTape (written against 4.22)');
  }
  return engine;
}

/** Nodes on a path from any of xs to any of ys, inputs pruned to those from xs (TF.js' getFilteredNodesXToY for several ys). */
function nodesBetween(tape: TapeNode[], xs: tf.Tensor[], ys: tf.Tensor[]): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set<number>(ys.map((y) => y.id));
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const t of Object.values(node.inputs)) toY.add(t.id);
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    out.push({ ...node, inputs });
  }
  return out;
}

function disposeSaved(node: TapeNode): void {
  if (!node.saved) return;
  for (const t of node.saved) t.dispose();
  node.saved = [];
}

export class RecordedTape {
  private nodes: TapeNode[] | null;

  constructor(nodes: TapeNode[]) {
    this.nodes = nodes;
  }

  /** Number of recorded kernel calls (0 once back-propagated or disposed). */
  get size(): number {
    return this.nodes?.length ?? 0;
  }

  /**
   * Gradients of sum_i <seeds[i].y, seeds[i].dy> with respect to xs (null where an x does not
   * reach any seed), then frees the tape. The seeds' dy tensors stay the caller's.
   */
  backward(seeds: { y: tf.Tensor; dy: tf.Tensor }[], xs: tf.Tensor[]): (tf.Tensor | null)[] {
    const all = this.nodes;
    if (all == null) throw new Error('lean-tape: this tape was already back-propagated or disposed');
    this.nodes = null;
    try {
      const path = nodesBetween(all, xs, seeds.map((s) => s.y));
      const onPath = new Set(path.map((n) => n.id));
      for (const node of all) if (!onPath.has(node.id)) disposeSaved(node); // never read
      const keep = new Set(xs.map((x) => x.id));
      return tf.tidy(() => {
        const grads = new Map<number, tf.Tensor>();
        const accumulate = (id: number, dx: tf.Tensor): void => {
          const cur = grads.get(id);
          if (cur == null) grads.set(id, dx);
          else {
            grads.set(id, tf.add(cur, dx));
            cur.dispose();
            dx.dispose();
          }
        };
        for (const s of seeds) {
          if (s.dy.dtype !== 'float32' || !tf.util.arraysEqual(s.dy.shape, s.y.shape)) throw new Error(`lean-tape: seed dy must be float32 of shape [${s.y.shape}], got ${s.dy.dtype} [${s.dy.shape}]`);
          accumulate(s.y.id, tf.clone(s.dy));
        }
        for (let i = path.length - 1; i >= 0; i--) {
          const node = path[i]!;
          if (node.gradient == null) throw new Error(`lean-tape: no gradient function for ${node.kernelName}`);
          const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
          const names = Object.keys(node.inputs);
          // One scope per node: a gradient function may compute eagerly when called (customGrad
          // ops do), so its temporaries are freed here rather than at the end of the walk.
          const dxs = tf.tidy(() => {
            const inputGradients = node.gradient!(dys);
            const seen = new Set<tf.Tensor>();
            return names.map((name) => {
              const fn = inputGradients[name];
              if (fn == null) throw new Error(`lean-tape: cannot back-propagate through input ${name} of ${node.kernelName}`);
              let dx = fn();
              // A gradient may hand back a dy itself or one tensor for two inputs; each entry of
              // the map must own its tensor because dys are disposed below.
              if (seen.has(dx) || dys.includes(dx)) dx = tf.clone(dx);
              seen.add(dx);
              return dx;
            });
          });
          names.forEach((name, k) => {
            const x = node.inputs[name]!;
            const dx = dxs[k]!;
            if (dx.dtype !== 'float32') throw new Error(`lean-tape: gradient of ${node.kernelName} input ${name} is ${dx.dtype}, not float32`);
            if (!tf.util.arraysEqual(dx.shape, x.shape)) throw new Error(`lean-tape: gradient of ${node.kernelName} input ${name} has shape [${dx.shape}], input [${x.shape}]`);
            accumulate(x.id, dx);
          });
          disposeSaved(node);
          // Every consumer of this node's outputs came later on the tape, so their gradients are complete and used.
          for (const o of node.outputs) {
            if (keep.has(o.id)) continue;
            grads.get(o.id)?.dispose();
            grads.delete(o.id);
          }
        }
        const out = xs.map((x) => grads.get(x.id) ?? null);
        for (const [id, g] of grads) if (!keep.has(id)) g.dispose();
        return out as tf.Tensor[]; // nulls pass through tidy untouched
      }) as (tf.Tensor | null)[];
    } finally {
      for (const node of all) disposeSaved(node);
    }
  }

  /** Frees the saved tensors without back-propagating. */
  dispose(): void {
    if (this.nodes) for (const node of this.nodes) disposeSaved(node);
    this.nodes = null;
  }
}

/**
 * Runs f with the gradient tape on (inside a tidy: what f returns survives) and returns its
 * result with the tape, for `tape.backward` later. Not inside another gradient computation.
 */
export function recordTape<T extends tf.TensorContainer>(f: () => T): { result: T; tape: RecordedTape } {
  const engine = engineInternals();
  if (engine.state.gradientDepth !== 0) throw new Error('lean-tape: recordTape cannot run inside tf.grads/variableGrads or another recording');
  engine.startTape();
  let result: T;
  let nodes: TapeNode[];
  try {
    result = tf.tidy(f);
  } finally {
    engine.endTape();
    nodes = engine.state.activeTape ?? [];
    engine.state.activeTape = null;
  }
  return { result, tape: new RecordedTape(nodes) };
}

/**
 * Value of a scalar loss f and its gradients with respect to xs (variables or tensors), through
 * one recorded tape freed as it goes; null where f does not depend on an x.
 */
export function leanGrads(f: () => tf.Scalar, xs: tf.Tensor[]): { value: tf.Scalar; grads: (tf.Tensor | null)[] } {
  const { result: value, tape } = recordTape(f);
  const one = tf.onesLike(value);
  try {
    return { value, grads: tape.backward([{ y: value, dy: one }], xs) };
  } finally {
    one.dispose();
  }
}
