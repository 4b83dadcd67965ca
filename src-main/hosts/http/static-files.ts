import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** The built renderer (electron-vite puts it in out/renderer). */
export function rendererDir(): string {
  if (process.env.WORKBENCH_RENDERER_DIR) return path.resolve(process.env.WORKBENCH_RENDERER_DIR);
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Source layout: src-main/hosts/http -> repo root; bundled layout: out/main -> repo root.
  for (const up of [['..', '..', '..'], ['..', '..']]) {
    const candidate = path.resolve(here, ...up, 'out', 'renderer');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return path.resolve(here, '..', '..', '..', 'out', 'renderer');
}

/** A file of the built renderer for a URL path; unknown paths get index.html (client-side routes). */
export function readStatic(dir: string, urlPath: string): { body: Buffer; type: string } | null {
  const rel = decodeURIComponent(urlPath).replace(/^\/+/, '');
  const candidate = path.resolve(dir, rel || 'index.html');
  if (!candidate.startsWith(dir + path.sep) && candidate !== dir) return null;
  const file = existsSync(candidate) && statSync(candidate).isFile() ? candidate : path.join(dir, 'index.html');
  if (!existsSync(file)) return null;
  return { body: readFileSync(file), type: types[path.extname(file)] ?? 'application/octet-stream' };
}
