/**
 * `npm run test:probes`: runs the reliability suite (every hostile-folder,
 * host, resource-limit and fault probe; the kill campaign has its own table)
 * and writes what it saw into README.md between the probe-table markers: each
 * probe, its test file, and whether it held. Reads vitest's JSON report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface JsonReport {
  startTime: number;
  testResults: { name: string; assertionResults: { title: string; ancestorTitles: string[]; status: string }[] }[];
}

const [reportFile, readme] = process.argv.slice(2);
if (!reportFile || !readme) throw new Error('usage: probe-table.ts <vitest-json-report> <README.md>');
const report = JSON.parse(readFileSync(reportFile, 'utf8')) as JsonReport;
const rows = report.testResults
  .flatMap((file) =>
    file.assertionResults.map((t) => ({ file: path.relative(process.cwd(), file.name), probe: [...t.ancestorTitles.slice(1), t.title].join(' > '), status: t.status })),
  )
  .filter((r) => !r.file.endsWith('kill-campaign.test.ts'))
  .sort((a, b) => a.file.localeCompare(b.file));
const held = rows.filter((r) => r.status === 'passed').length;
const escape = (s: string): string => s.replace(/\|/g, '\\|');
const table = [
  `Written by \`npm run test:probes\` on ${new Date(report.startTime).toISOString().slice(0, 16).replace('T', ' ')} UTC: ${held} of ${rows.length} probes held.`,
  '',
  '| probe | test file | held |',
  '| --- | --- | --- |',
  ...rows.map((r) => `| ${escape(r.probe)} | \`${r.file}\` | ${r.status === 'passed' ? 'yes' : r.status === 'skipped' || r.status === 'pending' ? 'skipped' : '**NO**'} |`),
].join('\n');
const text = readFileSync(readme, 'utf8');
const start = '<!-- probes:start -->';
const end = '<!-- probes:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error(`${readme} has no ${start} ... ${end} markers`);
writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
if (held !== rows.length) process.exitCode = 1;
