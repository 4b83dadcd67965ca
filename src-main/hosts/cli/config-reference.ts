/**
 * A job config's reference, printed by `--help-config`: every field of the
 * contract's zod schema by dotted path with its type, limits and default, read
 * from the schema itself so it never drifts from what the server accepts.
 */
import type { z } from 'zod';
import { schemaFields, type SchemaField } from '../../common/schema-fields.ts';
import { formatTable } from './format.ts';

function typeText(f: SchemaField): string {
  const limits = f.min !== undefined || f.max !== undefined ? ` ${f.min ?? ''}..${f.max ?? ''}` : '';
  switch (f.kind) {
    case 'enum':
      return `one of ${f.choices!.join(' | ')}`;
    case 'multi':
      return `list of ${f.choices!.join(' | ')}`;
    case 'tuple':
      return `${f.length} numbers`;
    case 'list':
      return 'list of numbers';
    case 'other':
      return 'object / list (see the docs)';
    default:
      return `${f.kind}${limits}`;
  }
}

export function configReference(title: string, schema: z.ZodType): string {
  const fields = [...schemaFields(schema).values()];
  const described = fields.some((f) => f.description !== undefined);
  const rows = fields.map((f) => [
    f.path,
    typeText(f) + (f.nullable ? ' or null' : ''),
    f.default !== undefined ? JSON.stringify(f.default) : f.required ? '(required)' : '(optional)',
    ...(described ? [f.description ?? ''] : []),
  ]);
  return [title, '', formatTable(['field', 'type', 'default', ...(described ? ['meaning'] : [])], rows)].join('\n');
}
