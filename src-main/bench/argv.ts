/**
 * `--name value` from the process's arguments, for the bench scripts that take a
 * few plain flags (the larger benches parse and validate theirs in options files).
 */
export function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
