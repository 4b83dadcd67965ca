/**
 * Checking a form's params with the contract's own schema, before anything is
 * sent: each problem becomes a sentence about the field ("Learning rate must
 * be above 0") shown on that field. Messages the schema writes itself
 * ("milestones must increase") are kept as they are.
 */
import type { z } from 'zod';
import type { FormField } from './form-types.ts';
import { fieldForPath, labelForPath } from './form-model.ts';

type Issue = z.core.$ZodRawIssue;

const count = (n: number | bigint, one: string, many: string) => `${n} ${Number(n) === 1 ? one : many}`;

/** A readable sentence for one of zod's own messages; undefined keeps zod's. */
export function sentence(issue: Issue, label: string): string | undefined {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? `${label} must not be empty` : `${label} needs at least ${count(issue.minimum, 'character', 'characters')}`;
      if (issue.origin === 'array') return `${label} needs at least ${count(issue.minimum, 'value', 'values')}`;
      return issue.inclusive ? `${label} must be at least ${issue.minimum}` : `${label} must be above ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `${label} must be at most ${count(issue.maximum, 'character', 'characters')}`;
      if (issue.origin === 'array') return `${label} takes at most ${count(issue.maximum, 'value', 'values')}`;
      return issue.inclusive ? `${label} must be at most ${issue.maximum}` : `${label} must be below ${issue.maximum}`;
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null) return `${label} is required`;
      if (issue.expected === 'int') return `${label} must be a whole number`;
      if (issue.expected === 'number') return `${label} must be a number`;
      return `${label} must be a ${issue.expected}`;
    case 'invalid_value':
      return `${label} must be one of ${issue.values.map(String).join(', ')}`;
    case 'not_multiple_of':
      return `${label} must be a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
}

export interface FormCheck {
  /** The first problem of each field shown, by field path. */
  fields: Record<string, string>;
  /** A problem no field shown can take (the banner shows it). */
  form: string | null;
}

export function checkParams(schema: z.ZodType, params: unknown, fields: readonly FormField[]): FormCheck {
  const parsed = schema.safeParse(params, { error: (issue) => sentence(issue, labelForPath((issue.path ?? []).join('.'), fields)) });
  const check: FormCheck = { fields: {}, form: null };
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const field = fieldForPath(issue.path.join('.'), fields);
    if (field) check.fields[field.path] ??= issue.message;
    else check.form ??= issue.message;
  }
  return check;
}
