/**
 * The structure rules hold, and can fail: the import table of ARCHITECTURE.md
 * is the one lint enforces (a probe file that breaks it is rejected, one that
 * keeps it is not), and the registries the host loads stay free of TF.js.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import table from '../../src-main/import-table.json';

const importTable: Record<string, { pattern: string; mayImport: string[] }> = table.layers;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const layers = Object.keys(importTable);

/** A file in each layer that a probe may import: its first TypeScript file, so a new layer needs no edit here. */
function sampleModule(layer: string): string {
  const dir = path.join(root, importTable[layer]!.pattern);
  const walk = (d: string): string | null => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) return path.join(d, e.name);
    }
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'build') {
        const found = walk(path.join(d, e.name));
        if (found) return found;
      }
    }
    return null;
  };
  const found = walk(dir);
  if (!found) throw new Error(`no TypeScript file under ${dir}`);
  return path.relative(root, found);
}

async function lintProbe(layer: string, target: string): Promise<ESLint.LintResult> {
  const dir = importTable[layer]!.pattern;
  const probe = path.join(root, dir, '__layering_probe__.ts');
  let spec = path.relative(path.dirname(probe), path.join(root, target)).split(path.sep).join('/');
  if (!spec.startsWith('.')) spec = `./${spec}`;
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(`import * as probe from '${spec}';\nexport const used = probe;\n`, { filePath: probe });
  return result!;
}

const layeringErrors = (r: ESLint.LintResult): string[] => r.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);

describe('the import table', () => {
  it('covers every folder of src-main, and ARCHITECTURE.md prints the same table', () => {
    const doc = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');
    const rows = new Map<string, string[]>();
    for (const line of doc.split('\n')) {
      const m = /^\| `([^`]+)\/?` \|.*\| ([^|]+) \|$/.exec(line.trim());
      if (!m) continue;
      const layer = layers.find((l) => `${importTable[l]!.pattern}/` === m[1] || importTable[l]!.pattern === m[1]);
      if (!layer) continue;
      rows.set(layer, [...m[2]!.matchAll(/`([a-z]+)`/g)].map((x) => x[1]!).sort());
    }
    for (const layer of layers) {
      expect(rows.get(layer), `ARCHITECTURE.md row of ${layer}`).toEqual(importTable[layer]!.mayImport.filter((l) => l !== layer).sort());
    }
  });

  const cases = layers.flatMap((from) =>
    layers.map((to) => ({ from, to, allowed: importTable[from]!.mayImport.includes(to) })),
  );
  // One allowed and one forbidden arrow per layer keeps this fast; every layer is covered both ways.
  const picked = layers.flatMap((from) => {
    const own = cases.filter((c) => c.from === from);
    return [own.find((c) => c.allowed && c.to !== from) ?? own.find((c) => c.allowed)!, own.find((c) => !c.allowed)!].filter(Boolean);
  });

  it.each(picked)('$from importing $to is allowed: $allowed', async ({ from, to, allowed }) => {
    const errors = layeringErrors(await lintProbe(from, sampleModule(to)));
    if (allowed) expect(errors).toEqual([]);
    else expect(errors.join('\n')).toMatch(new RegExp(`${from} may not import ${to}: the import table \\(ARCHITECTURE.md`));
  });
});

describe('light registries', () => {
  /** Imports a module in a fresh Node process and counts the loaded modules that come from TF.js. */
  function tfjsModulesLoadedBy(file: string): number {
    const script = `import { createRequire } from 'node:module';
await import(${JSON.stringify(path.join(root, file))});
const keys = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(String(keys.filter((k) => k.includes('@tensorflow')).length));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    return Number(run.stdout.trim());
  }

  it.each(['src-main/app/handlers.ts', 'src-main/app/job-kinds.ts'])('%s loads no TF.js', (file) => {
    expect(tfjsModulesLoadedBy(file)).toBe(0);
  });

  it('notices TF.js when a module does load it (the check can fail)', () => {
    expect(tfjsModulesLoadedBy('src-main/engine/init.ts')).toBeGreaterThan(0);
  });
});
