import * as ort from 'onnxruntime-node';

export interface OnnxSessionOptions {
  /** Intra-op threads; defaults to ONNX Runtime's own choice (all cores). */
  threads?: number;
}

/** Opens an ONNX model (file path or bytes) on ONNX Runtime's CPU provider. */
export async function openOnnxSession(model: string | Uint8Array, options: OnnxSessionOptions = {}): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'] };
  if (options.threads !== undefined) sessionOptions.intraOpNumThreads = options.threads;
  return typeof model === 'string' ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
}

export interface FloatTensorData {
  data: Float32Array;
  dims: readonly number[];
}

/** Runs a single-input, single-output float model. */
export async function runOnnx(session: ort.InferenceSession, input: FloatTensorData): Promise<FloatTensorData> {
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (inputName === undefined || outputName === undefined) throw new Error('ONNX model has no input or no output');
  const feeds = { [inputName]: new ort.Tensor('float32', input.data, [...input.dims]) };
  const results = await session.run(feeds);
  const out = results[outputName];
  if (out === undefined || out.type !== 'float32') throw new Error(`ONNX output ${outputName} is not float32`);
  return { data: out.data as Float32Array, dims: out.dims };
}

/** Runs a single-input float model and returns every output by name. */
export async function runOnnxOutputs(session: ort.InferenceSession, input: FloatTensorData): Promise<Record<string, FloatTensorData>> {
  const inputName = session.inputNames[0];
  if (inputName === undefined) throw new Error('ONNX model has no input');
  const results = await session.run({ [inputName]: new ort.Tensor('float32', input.data, [...input.dims]) });
  const out: Record<string, FloatTensorData> = {};
  for (const name of session.outputNames) {
    const t = results[name];
    if (t === undefined || t.type !== 'float32') throw new Error(`ONNX output ${name} is not float32`);
    out[name] = { data: t.data as Float32Array, dims: t.dims };
  }
  return out;
}
