import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatTable, pct } from '../../src-main/hosts/cli/format.ts';
import { errorLine } from '../../src-main/hosts/cli/cli-errors.ts';

const cliDir = path.resolve(import.meta.dirname, '../../src-main/hosts/cli');

describe('CLI human-output formatting', () => {
  it.each([
    [0.1234, undefined, '12.3%'],
    [0.1234, 2, '12.34%'],
    [0.5, 0, '50%'],
    [1, 1, '100.0%'],
    [0, 2, '0.00%'],
    [null, 1, '-'],
    [undefined, 2, '-'],
    [Number.NaN, 1, '-'],
    ['0.5', 1, '-'],
  ])('pct(%j, %j) is %j', (v, digits, expected) => {
    expect(pct(v, digits)).toBe(expected);
  });

  it('aligns table columns', () => {
    expect(formatTable(['a', 'bb'], [['xyz', pct(0.25)]])).toBe('a    bb\n---  -----\nxyz  25.0%');
  });

  // One formatter for every command, so a fraction prints the same way everywhere.
  it('no CLI file formats a percentage by hand', () => {
    const files = [...readdirSync(cliDir).map((f) => path.join(cliDir, f)), ...readdirSync(path.join(cliDir, 'commands')).map((f) => path.join(cliDir, 'commands', f))]
      .filter((f) => f.endsWith('.ts') && !f.endsWith('format.ts'));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => /\* 100\)(\.toFixed\(\d\))?\}%|const pct = /.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => path.relative(cliDir, f))).toEqual([]);
  });

  it.each([
    [{ message: 'params.epochs: Too small: expected number to be >=1', field: 'params.epochs' }, 'epochs: Too small: expected number to be >=1'],
    [{ message: 'prune.rate: must be below 1', field: 'config.prune.rate' }, 'prune.rate: must be below 1'],
    [{ message: 'There is no job 999.', field: 'id' }, 'There is no job 999. (field id)'],
    [{ message: 'Value out of range', field: 'params.seed' }, 'Value out of range (field seed)'],
    [{ message: 'The database is read-only' }, 'The database is read-only'],
  ])('prints a refused call as one line naming its field once: %j', (error, line) => {
    expect(errorLine(error)).toBe(line);
  });
});
