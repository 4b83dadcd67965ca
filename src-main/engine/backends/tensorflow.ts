/**
 * Loading the native TensorFlow backend (`tensorflow`, from
 * @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node). Both packages register
 * the same backend name and bind libtensorflow, so a process loads at most
 * one of them: the first attempt is remembered.
 */
import { execFileSync } from 'node:child_process';

export type TensorflowPackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';

export interface TensorflowLoad {
  ok: boolean;
  pkg: TensorflowPackage;
  /** The GPU name for tfjs-node-gpu, e.g. 'NVIDIA H100 80GB HBM3'. */
  device?: string;
  version?: string;
  /** One line (never a stack trace) when it failed. */
  reason?: string;
}

let attempted: TensorflowLoad | null = null;

/** The GPU names `nvidia-smi -L` lists, or [] where there is no NVIDIA driver. */
export function cudaDevices(): string[] {
  try {
    const out = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    // "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)"
    return out
      .split('\n')
      .map((line) => /^GPU \d+: (.+?) \(UUID/.exec(line)?.[1])
      .filter((name): name is string => name != null);
  } catch {
    return [];
  }
}

/** Why an import failed, in one line. */
export function describeLoadError(pkg: string, error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = String(e?.message ?? error);
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') {
    if (message.includes(pkg)) return `libtensorflow is not installed (optional package ${pkg} missing)`;
  }
  if (/libtensorflow|tfjs_binding|\.node\b|napi/i.test(message)) {
    return `${pkg} is installed but its native libtensorflow binding failed to load (${firstLine(message)})`;
  }
  return `${pkg} failed to load (${firstLine(message)})`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * Imports one of the native packages (once per process). For the GPU package
 * a CUDA device must be visible first: without one it would run on the CPU
 * build of libtensorflow anyway, and the plain package is the better choice.
 */
export async function loadTensorflow(pkg: TensorflowPackage): Promise<TensorflowLoad> {
  if (attempted != null) {
    if (attempted.pkg === pkg || attempted.ok) return attempted;
    // A failed import of the other package left nothing bound; trying this one is safe.
  }
  let device: string | undefined;
  if (pkg === '@tensorflow/tfjs-node-gpu') {
    const gpus = cudaDevices();
    if (gpus.length === 0) {
      return (attempted = { ok: false, pkg, reason: 'no CUDA device found (nvidia-smi lists none)' });
    }
    device = gpus[0];
  }
  try {
    const mod = (await import(pkg)) as { version?: { 'tfjs-node'?: string } };
    const version = mod.version?.['tfjs-node'];
    attempted = { ok: true, pkg, device: device ?? 'CPU', ...(version ? { version } : {}) };
  } catch (error) {
    attempted = { ok: false, pkg, reason: describeLoadError(pkg, error) };
  }
  return attempted;
}
