import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/contract/errors.ts';
import type { Workspace } from './workspace.ts';

const contentTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function inside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/**
 * The folders whose files a client may read: the workspace and the roots of
 * registered datasets. Anything else (and anything a symlink leads out of them)
 * is refused, by both the Electron protocol and the browser host.
 */
export function allowedRoots(ws: Workspace): string[] {
  const roots = (ws.db.prepare('SELECT DISTINCT root_path FROM datasets').all() as { root_path: string }[]).map((r) => r.root_path);
  const real = (p: string): string | null => {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  };
  return [ws.dir, ...roots].map(real).filter((p): p is string => p !== null);
}

/** Resolves a requested absolute path to a readable file inside an allowed root, or throws. */
export function resolveServableFile(ws: Workspace, requested: string): string {
  if (!requested || !path.isAbsolute(requested)) throw new ApiError('invalid_request', 'path must be an absolute file path.', 'path');
  let real: string;
  try {
    real = realpathSync(requested);
  } catch {
    throw new ApiError('not_found', `No such file: ${requested}`, 'path');
  }
  if (!allowedRoots(ws).some((root) => inside(real, root))) {
    throw new ApiError('unauthorized', `${requested} is outside the workspace and the registered dataset folders.`, 'path');
  }
  if (!statSync(real).isFile()) throw new ApiError('not_found', `${requested} is not a file.`, 'path');
  return real;
}
