/**
 * From a form definition to what the form holds and sends: the fields
 * (schema facts joined with their layout), their start values, the params
 * built from the fields shown, and which field an error path belongs to.
 */
import type { FormField, FormSection, FormValues, JobFormDef, FieldLayout } from './form-types.ts';
import { schemaFields, topLevelKeys, type SchemaField } from './schema-fields.ts';
import { flattenConfig, sameValue } from '../../../src-main/common/config-diff.ts';

/** "sourceDatasetId" -> "Source dataset id"; a picker drops the " id" (it shows names). */
export function labelOf(key: string, picker = false): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return picker ? label.replace(/ id$/, '') : label;
}

const lastKey = (path: string) => path.split('.').filter((k) => !/^\d+$/.test(k)).at(-1) ?? path;

function resolveField(def: JobFormDef, layout: FieldLayout, fact: SchemaField | undefined, prefix: string): FormField {
  if (!fact && !layout.local) throw new Error(`The ${def.kind} form lays out "${layout.path}", which its params schema does not have.`);
  const facts: SchemaField = fact ?? { path: layout.path, kind: 'other', required: false, nullable: false };
  const required = layout.required ?? facts.required;
  const mayBeEmpty = !required && facts.default === undefined && layout.initial === undefined && facts.kind !== 'boolean';
  const { label, id, required: _required, ...rest } = layout;
  return {
    ...facts,
    ...rest,
    required,
    ...(layout.options ? { choices: Object.keys(layout.options) } : {}),
    label: label ?? labelOf(lastKey(layout.path), !!layout.widget) + (mayBeEmpty ? ' (optional)' : ''),
    id: `${prefix}-${id ?? layout.path.replace(/\./g, '-')}`,
  };
}

/** The sections of a form; a definition without its own gets one section of every top-level field. */
export function resolveSections(def: JobFormDef): FormSection[] {
  const facts = schemaFields(def.schema);
  const prefix = def.idPrefix ?? def.kind.replace(/\W/g, '-');
  const sections = def.sections ?? [
    {
      // Nested objects and values without a control keep their defaults: this form does not offer them.
      fields: topLevelKeys(def.schema)
        .filter((key) => facts.has(key) && (facts.get(key)!.kind !== 'other' || def.fields?.[key]?.widget))
        .map((key) => ({ path: key, ...def.fields?.[key] })),
    },
  ];
  return sections.map((s) => ({ ...(s.title ? { title: s.title } : {}), fields: s.fields.map((f) => resolveField(def, f, facts.get(f.path), prefix)) }));
}

export function initialValues(fields: readonly FormField[]): FormValues {
  const start = (f: FormField): unknown => {
    const value = f.initial !== undefined ? f.initial : f.default !== undefined ? structuredClone(f.default) : undefined;
    if (f.kind === 'list') return Array.isArray(value) ? value.join(', ') : (value ?? '');
    if (value !== undefined) return value;
    // A required choice without a default starts at its first choice, as a select shows it.
    if (f.kind === 'enum' && f.required && f.none === undefined) return f.choices?.[0] ?? null;
    return f.kind === 'boolean' ? false : f.kind === 'multi' ? [] : f.kind === 'tuple' ? Array<null>(f.length ?? 0).fill(null) : null;
  };
  return Object.fromEntries(fields.map((f) => [f.path, start(f)]));
}

/** "5, 8" -> [5, 8]; anything not a number stays NaN for the schema to name. */
export const parseList = (text: string) => text.split(/[\s,]+/).filter(Boolean).map(Number);

/** The value to send for a field, or undefined to leave it out (so the schema's default applies). */
function sendable(f: FormField, raw: unknown): unknown {
  if (raw === undefined) return undefined;
  if (raw === null) return f.nullable ? null : undefined;
  if (f.emptyValue !== undefined && raw === f.emptyValue) return undefined;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (!text) return undefined;
    return f.kind === 'list' ? parseList(text) : text;
  }
  if (f.kind === 'multi' && Array.isArray(raw) && raw.length === 0) return undefined;
  // An optional tuple left wholly empty (e.g. an input size "default") is left out; a partly filled one is sent for the schema to name.
  if (f.kind === 'tuple' && !f.required && Array.isArray(raw) && raw.every((v) => v === null || v === '')) return undefined;
  return raw;
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

/** The params of the fields shown, plus the values fixed by the caller; objects left empty are left out. */
export function toParams(fields: readonly FormField[], values: FormValues, preset: FormValues = {}): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const f of fields) {
    const value = f.local ? undefined : sendable(f, values[f.path]);
    if (value !== undefined) setPath(params, f.path, value);
  }
  for (const [path, value] of Object.entries(preset)) setPath(params, path, value);
  return params;
}

const inside = (outer: string, inner: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);

/**
 * The field shown for an error at `path` (a request path, `params.` already
 * taken off): the field itself or one holding it (a tuple's item), a field
 * that claims the path, else the first field inside it (an error about a
 * whole object).
 */
export function fieldForPath(path: string, fields: readonly FormField[]): FormField | undefined {
  const sent = fields.filter((f) => !f.local);
  return sent.find((f) => inside(f.path, path)) ?? sent.find((f) => f.errorPaths?.some((p) => inside(p, path))) ?? sent.find((f) => inside(path, f.path));
}

/** The label an error at `path` speaks of: its field's, with the position for a tuple's item. */
export function labelForPath(path: string, fields: readonly FormField[]): string {
  const field = fieldForPath(path, fields);
  if (!field) return labelOf(lastKey(path));
  const label = field.label.replace(/ \(optional\)$/, '');
  const item = path.slice(field.path.length + 1);
  return field.kind === 'tuple' && /^\d+$/.test(item) ? `${label} ${Number(item) + 1}` : label;
}

/** Params are JSON (and may be reactive proxies, which structuredClone refuses). */
const jsonClone = <T,>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function getPath(source: unknown, path: string): unknown {
  let node = source;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function withoutPath(source: unknown, path: string): unknown {
  const copy = jsonClone(source) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> | undefined = copy;
  for (const key of keys.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
  if (node) delete node[keys.at(-1)!];
  return copy;
}

/**
 * A form filled in from a job's params (a run's "clone config"): the values of
 * the fields the form has, and the rest of the params that the form does not
 * offer and that differ from the schema's defaults (`kept`, sent as they are).
 */
export function valuesFromParams(def: JobFormDef, params: unknown): { values: FormValues; kept: FormValues } {
  const fields = resolveSections(def)
    .flatMap((s) => s.fields)
    .filter((f) => !f.local);
  const values: FormValues = {};
  const kept: FormValues = {};
  for (const f of fields) {
    const v = getPath(params, f.path);
    if (v === undefined) continue;
    // A list where the control holds one value (several train splits, given in a config file): kept whole, the control hidden.
    if (Array.isArray(v) && !['list', 'multi', 'tuple'].includes(f.kind)) kept[f.path] = jsonClone(v);
    else values[f.path] = f.kind === 'list' && Array.isArray(v) ? v.join(', ') : jsonClone(v);
  }
  const covered = (path: string) => fields.some((f) => inside(f.path, path));
  for (const [path, value] of flattenConfig(params)) {
    if (covered(path)) continue;
    // A value the schema would fill in anyway is not worth fixing.
    const parsed = def.schema.safeParse(withoutPath(params, path));
    if (parsed.success && sameValue(getPath(parsed.data, path), value)) continue;
    kept[path] = jsonClone(value);
  }
  return { values, kept };
}
