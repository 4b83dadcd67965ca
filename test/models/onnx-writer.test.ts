import { describe, it, expect } from 'vitest';
import { OnnxGraphBuilder } from '../../src-main/models/export/onnx/onnx-builder.ts';
import { ModelProto } from '../../src-main/models/export/onnx/onnx-schema.ts';
import { openOnnxSession, runOnnx } from '../../src-main/models/export/onnx/onnx-session.ts';

/** A 1x1 conv (2 -> 3 channels, with bias) followed by Relu, on NCHW input [1,2,2,2]. */
function tinyConvModel(): Uint8Array {
  const g = new OnnxGraphBuilder('tiny');
  const x = g.input('input', ['batch', 2, 2, 2]);
  // OIHW [3,2,1,1]
  const w = g.floatInitializer('w', new Float32Array([1, 0, 0, 1, 1, -1]), [3, 2, 1, 1]);
  const b = g.floatInitializer('b', new Float32Array([0, 0.5, 0.25]), [3]);
  const conv = g.node('Conv', [x, w, b], { kernel_shape: { ints: [1, 1] }, strides: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] } });
  g.node('Relu', [conv], {}, 'output');
  g.output('output', ['batch', 3, 2, 2]);
  return g.encode({ metadata: { arch: 'tiny' } });
}

describe('ONNX writer', () => {
  it('writes a ModelProto that decodes back with the same graph', () => {
    const bytes = tinyConvModel();
    const decoded = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as {
      irVersion: number;
      opsetImport: { version: number }[];
      graph: { node: { opType: string }[]; initializer: { name: string; dims: number[] }[] };
      metadataProps: { key: string; value: string }[];
    };
    expect(decoded.irVersion).toBe(7);
    expect(decoded.opsetImport[0]!.version).toBe(13);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['Conv', 'Relu']);
    expect(decoded.graph.initializer.map((t) => [t.name, t.dims])).toEqual([
      ['w', [3, 2, 1, 1]],
      ['b', [3]],
    ]);
    expect(decoded.metadataProps).toEqual([{ key: 'arch', value: 'tiny' }]);
  });

  it('is accepted by ONNX Runtime and computes the expected values', async () => {
    const session = await openOnnxSession(tinyConvModel(), { threads: 1 });
    // NCHW: channel 0 = [1,2,3,4], channel 1 = [10,20,30,40]
    const x = new Float32Array([1, 2, 3, 4, 10, 20, 30, 40]);
    const out = await runOnnx(session, { data: x, dims: [1, 2, 2, 2] });
    expect(out.dims).toEqual([1, 3, 2, 2]);
    // out0 = c0, out1 = c1 + 0.5, out2 = relu(c0 - c1 + 0.25) = 0
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 10.5, 20.5, 30.5, 40.5, 0, 0, 0, 0]);
  });

  it('refuses duplicated tensor names and wrong initializer sizes', () => {
    const g = new OnnxGraphBuilder('bad');
    g.input('input', [1]);
    expect(() => g.input('input', [1])).toThrow(/used twice/);
    expect(() => g.floatInitializer('w', new Float32Array(3), [2, 2])).toThrow(/3 values for dims \[2,2\]/);
  });
});
