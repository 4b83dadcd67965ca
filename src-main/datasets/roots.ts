import { realpathSync } from 'node:fs';
import path from 'node:path';

/** The root as stored: absolute with symlinks resolved, so one folder reached two ways is one dataset root. */
export function canonicalRoot(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}
