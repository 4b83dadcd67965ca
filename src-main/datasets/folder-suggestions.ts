/**
 * Folder suggestions for the import path field: as a lab types
 * `/data/cif`, the subfolders of `/data` starting with `cif`. Only below the
 * import roots (settings `importRoots`, real paths compared, so a link out of a
 * root lists nothing), only real folders, and the same refusal whether a
 * folder outside the roots exists or not: the browser host must not become a
 * way to explore the machine. Outside the roots the answer is an empty list
 * with a reason (`outside`), not an error: typing is not a mistake, and a
 * failed request per keystroke would fill the browser's console.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/contract/errors.ts';
import type { FolderSuggestions } from '../common/contract/datasets.ts';

const MAX_LISTED = 200;

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const below = (child: string, root: string): boolean => child === root || child.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

export function suggestFolders(typed: string, importRoots: readonly string[]): FolderSuggestions {
  const roots = importRoots.map((r) => ({ given: r, real: realOrNull(r) })).filter((r): r is { given: string; real: string } => r.real !== null && isDir(r.real));
  const text = typed.trim();
  if (!text) return { folder: null, folders: roots.map((r) => ({ name: r.given, path: r.given })), roots: roots.map((r) => r.given), truncated: false };
  if (!path.isAbsolute(text)) throw new ApiError('invalid_request', `"${text}" is not an absolute path; start with / (one of the import folders: ${roots.map((r) => r.given).join(', ')}).`, 'path');
  // "/data/cif" lists /data for names starting "cif"; "/data/" lists all of /data. Split before resolving: "/data/." asks for hidden folders.
  const cut = Math.max(text.lastIndexOf('/'), text.lastIndexOf(path.sep));
  const folder = path.resolve(text.slice(0, cut + 1) || path.sep);
  const prefix = text.slice(cut + 1);
  const real = realOrNull(folder);
  const allowed = real !== null && roots.some((r) => below(real, r.real));
  // Inside a root, or a parent of one (typing "/us" should reach /usr/share/datasets).
  const parentOfRoot = real !== null && roots.some((r) => below(r.real, real));
  if (!allowed && !parentOfRoot) {
    const outside = `${folder} is not below an import folder (${roots.map((r) => r.given).join(', ')}); add one in Settings → Import folders, or type the whole path.`;
    return { folder, folders: [], roots: roots.map((r) => r.given), truncated: false, outside };
  }
  let names: string[] = [];
  try {
    names = readdirSync(real!, { withFileTypes: true })
      .filter((d) => d.name.startsWith(prefix) && (prefix.startsWith('.') || !d.name.startsWith('.')))
      .filter((d) => {
        const full = path.join(real!, d.name);
        if (!d.isDirectory() && !(d.isSymbolicLink() && isDir(full))) return false;
        const target = realOrNull(full);
        // Inside a root: the folder itself must stay inside one; above the roots: only the way down to a root.
        return target !== null && roots.some((r) => below(target, r.real) || (!allowed && below(r.real, target)));
      })
      .map((d) => d.name)
      .sort((a, b) => a.localeCompare(b));
  } catch {
    names = [];
  }
  return {
    folder,
    folders: names.slice(0, MAX_LISTED).map((name) => ({ name, path: path.join(folder, name) })),
    roots: roots.map((r) => r.given),
    truncated: names.length > MAX_LISTED,
  };
}
