import { z } from 'zod';

/** One form control derived from a job's zod params schema (via its JSON Schema). */
export interface FieldSpec {
  key: string;
  label: string;
  kind: 'number' | 'integer' | 'boolean' | 'enum' | 'string' | 'tuple' | 'multi' | 'pick';
  required: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  options?: string[];
  length?: number;
}

interface JsonProp {
  type?: string;
  enum?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  prefixItems?: JsonProp[];
  items?: JsonProp | false;
}

/** "sourceDatasetId" -> "Source dataset id". */
export function labelOf(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Largest values zod puts on unbounded integers; a form shows them as no bound. */
const unbounded = (n: number | undefined) => (n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : n);

/**
 * The controls of a flat params object. `picks` names the keys that choose a
 * workspace item (a dataset, a model, a run) and get a select instead of a number.
 */
export function fieldsFromSchema(schema: z.ZodType, picks: readonly string[] = []): FieldSpec[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProp>; required?: string[] };
  const required = new Set(json.required ?? []);
  const fields: FieldSpec[] = [];
  for (const [key, prop] of Object.entries(json.properties ?? {})) {
    const base = { key, label: labelOf(key), required: required.has(key), ...(prop.default !== undefined ? { default: prop.default } : {}) };
    const bounds = { min: unbounded(prop.minimum ?? (prop.exclusiveMinimum !== undefined ? prop.exclusiveMinimum + (prop.type === 'integer' ? 1 : 0) : undefined)), max: unbounded(prop.maximum) };
    if (picks.includes(key)) fields.push({ ...base, label: base.label.replace(/ id$/, ''), kind: 'pick' });
    else if (prop.enum) fields.push({ ...base, kind: 'enum', options: prop.enum });
    else if (prop.type === 'boolean') fields.push({ ...base, kind: 'boolean' });
    else if (prop.type === 'integer' || prop.type === 'number') fields.push({ ...base, ...bounds, kind: prop.type });
    else if (prop.type === 'string') fields.push({ ...base, kind: 'string' });
    else if (prop.type === 'array' && prop.prefixItems) fields.push({ ...base, kind: 'tuple', length: prop.prefixItems.length });
    else if (prop.type === 'array' && prop.items && prop.items.enum) fields.push({ ...base, kind: 'multi', options: prop.items.enum });
    // Anything else (nested objects) keeps its default: the form does not offer it.
  }
  return fields;
}

export function initialValues(fields: FieldSpec[]): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((f) => [f.key, f.default !== undefined ? structuredClone(f.default) : f.kind === 'boolean' ? false : f.kind === 'multi' ? [] : f.kind === 'tuple' ? Array(f.length).fill(0) : null]),
  );
}

/** The params to submit: empty optional fields are left out so the backend's defaults apply. */
export function toParams(fields: FieldSpec[], values: Record<string, unknown>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && f.kind === 'multi' && v.length === 0)) continue;
    params[f.key] = v;
  }
  return params;
}
