/**
 * What a job's zod params schema says about each of its fields (through zod's
 * JSON Schema export): the control it implies, its limits, its default, and
 * whether it may be left out. Nested objects give dotted paths
 * (`optimizer.lr`); a union of objects (a discriminated `schedule`) gives the
 * fields of every variant, its discriminator as an enum. Read by the job forms
 * of the renderer and by the CLI's config reference (`workbench train --help-config`).
 */
import { z } from 'zod';

export type FieldKind = 'number' | 'integer' | 'boolean' | 'enum' | 'string' | 'tuple' | 'multi' | 'list' | 'other';

export interface SchemaField {
  path: string;
  kind: FieldKind;
  /** Required by its own object (an optional parent still lets the whole object go). */
  required: boolean;
  /** `null` is a value of its own here (e.g. "no test split"), not "left out". */
  nullable: boolean;
  default?: unknown;
  /** Bounds for the control (exclusive integer bounds moved inwards); the schema still judges the value. */
  min?: number;
  max?: number;
  /** Enum values, or the choices of a multi-select. */
  choices?: string[];
  /** Number of values of a tuple. */
  length?: number;
  /** The schema's own words (`.describe()`), when it has some. */
  description?: string;
}

interface JsonNode {
  type?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonNode>;
  required?: string[];
  anyOf?: JsonNode[];
  oneOf?: JsonNode[];
  prefixItems?: JsonNode[];
  items?: JsonNode | false;
}

/** zod writes unbounded integers with the largest safe integer as bound: a form shows no bound. */
const bound = (n: number | undefined) => (n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : n);

const variantsOf = (node: JsonNode) => node.anyOf ?? node.oneOf;
const isObject = (node: JsonNode) => node.type === 'object' && node.properties !== undefined;

function leaf(path: string, node: JsonNode, required: boolean): SchemaField {
  const base = {
    path,
    required,
    nullable: false,
    ...(node.default !== undefined ? { default: node.default } : {}),
    ...(node.description !== undefined ? { description: node.description } : {}),
  };
  const variants = variantsOf(node);
  if (variants) {
    const real = variants.filter((v) => v.type !== 'null');
    // `x | null`, or `string | string[]` (a split or a list of them): the form offers the first kind.
    const first = leaf(path, { ...real[0], ...(node.default !== undefined ? { default: node.default } : {}) }, required);
    return { ...first, nullable: real.length < variants.length };
  }
  const integer = node.type === 'integer';
  const min = bound(node.minimum ?? (node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + (integer ? 1 : 0) : undefined));
  const max = bound(node.maximum ?? (node.exclusiveMaximum !== undefined ? node.exclusiveMaximum - (integer ? 1 : 0) : undefined));
  const limits = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  if (node.enum) return { ...base, kind: 'enum', choices: node.enum.map(String) };
  if (node.type === 'boolean') return { ...base, kind: 'boolean' };
  if (node.type === 'integer' || node.type === 'number') return { ...base, ...limits, kind: node.type };
  if (node.type === 'string') return { ...base, kind: 'string' };
  if (node.type === 'array' && node.prefixItems) return { ...base, kind: 'tuple', length: node.prefixItems.length };
  const items = node.items || undefined;
  if (node.type === 'array' && items?.enum) return { ...base, kind: 'multi', choices: items.enum.map(String) };
  if (node.type === 'array' && (items?.type === 'integer' || items?.type === 'number')) return { ...base, kind: 'list' };
  return { ...base, kind: 'other' };
}

/** The value a default object gives one of its keys (a nested object's default reaches its fields). */
const defaultAt = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;

/**
 * `inherited`: the default the enclosing objects give this one (`.default({ lr: 0.1 })` on an
 * object whose `lr` has none of its own); a field's own default wins.
 */
function walk(node: JsonNode, prefix: string, out: Map<string, SchemaField>, inherited?: unknown): void {
  const variants = variantsOf(node)?.filter(isObject) ?? (isObject(node) ? [node] : []);
  const given = node.default ?? inherited;
  for (const variant of variants) {
    for (const [key, child] of Object.entries(variant.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      const required = variant.required?.includes(key) ?? false;
      const nested = isObject(child) || (variantsOf(child)?.some(isObject) ?? false);
      const fromParent = defaultAt(given, key);
      if (nested) walk(child, path, out, fromParent);
      else if (child.const !== undefined) {
        // A union's discriminator: one enum over the variants' constants.
        const known = out.get(path);
        const choices = [...(known?.choices ?? []), String(child.const)];
        out.set(path, { path, kind: 'enum', required, nullable: false, choices, ...(fromParent !== undefined ? { default: fromParent } : {}) });
      } else if (!out.has(path)) out.set(path, leaf(path, child.default === undefined && fromParent !== undefined ? { ...child, default: fromParent } : child, required));
    }
  }
}

/** Every field of a params schema by dotted path, in schema order. */
export function schemaFields(schema: z.ZodType): Map<string, SchemaField> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonNode;
  const out = new Map<string, SchemaField>();
  walk(json, '', out);
  return out;
}

/** The top-level keys of a params schema, in schema order (a form without its own layout shows these). */
export function topLevelKeys(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonNode;
  return Object.keys(json.properties ?? {});
}
