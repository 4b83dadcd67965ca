import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isInside } from '../core/file-access.ts';
import { specialKind } from './formats/files.ts';
import { DatasetFileChangedError } from './pixels.ts';

/** Thrown when a sample's file would be read from outside its dataset, or is not a regular file. */
export class DatasetFileRefusedError extends DatasetFileChangedError {
  constructor(file: string, message: string) {
    super(file, message);
    this.name = 'DatasetFileRefusedError';
  }
}

/**
 * The one confinement rule for reading a dataset's image file, applied by the
 * importer (formats/files.ts), the reader used by training, thumbnails and the
 * sample routes of every host: the file's real path must lie inside the
 * dataset's real root, or, where the import followed links out, be exactly the
 * real path recorded then; and it must be a regular file (a named pipe, device
 * or socket is never opened). Returns the real path, which callers read
 * instead of the link.
 */
export function resolveSampleFile(rootPath: string, relPath: string, recordedRealPath: string | null, datasetLabel: string): string {
  const abs = path.resolve(rootPath, relPath);
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(rootPath);
  } catch {
    throw new DatasetFileChangedError(rootPath, `${datasetLabel}: the dataset folder ${rootPath} is missing (moved or deleted since import); re-import the dataset.`);
  }
  try {
    real = realpathSync(abs);
  } catch {
    throw new DatasetFileChangedError(abs, `${datasetLabel}: file ${abs} is missing (moved or deleted since import); re-import the dataset.`);
  }
  if (recordedRealPath !== null) {
    if (real !== recordedRealPath) {
      throw new DatasetFileRefusedError(abs, `${datasetLabel}: file ${abs} now leads to ${real}, not to ${recordedRealPath} as at import; refused (re-import the dataset).`);
    }
  } else if (!isInside(real, realRoot)) {
    throw new DatasetFileRefusedError(abs, `${datasetLabel}: file ${abs} leads out of the dataset folder ${realRoot} to ${real}; refused.`);
  }
  const st = statSync(real);
  if (!st.isFile()) {
    throw new DatasetFileRefusedError(abs, `${datasetLabel}: file ${abs} is ${specialKind(st) ?? 'not a regular file'}; refused, never opened.`);
  }
  return real;
}
