import { readFileSync } from 'node:fs';

/** Why a file could not be read, in words (the errno code only where no words fit). */
function unreadable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return err.code ?? err.message;
  }
}

/** A JSON file an option names (--config, --json, a pipeline): one line naming the option and the file when it cannot be used. */
export function readJsonFile(flag: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${file}: cannot read the file (${unreadable(err as NodeJS.ErrnoException)}).`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${flag} ${file}: not valid JSON (${(err as Error).message}).`);
  }
}
