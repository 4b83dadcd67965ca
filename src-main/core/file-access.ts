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

/** Whether `child` is `parent` or lies under it (both absolute with symlinks resolved). */
export function isInside(child: string, parent: string): boolean {
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

/**
 * Resolves a requested absolute path to a readable regular file inside an
 * allowed root, or throws. A missing file, one outside the roots (also through
 * a symlink) and one that is not a regular file get the same answer, so the
 * route tells nothing about what exists outside the roots.
 */
export function resolveServableFile(ws: Workspace, requested: string): string {
  if (!requested || !path.isAbsolute(requested)) throw new ApiError('invalid_request', 'path must be an absolute file path.', 'path');
  const refused = (): ApiError => new ApiError('not_found', `No file ${requested} in the workspace or a registered dataset folder.`, 'path');
  let real: string;
  try {
    real = realpathSync(requested);
  } catch {
    throw refused();
  }
  if (!allowedRoots(ws).some((root) => isInside(real, root))) throw refused();
  let regular = false;
  try {
    regular = statSync(real).isFile();
  } catch {
    regular = false;
  }
  if (!regular) throw refused();
  return real;
}
