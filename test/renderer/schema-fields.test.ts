/** What a form and `--help-config` read of a params schema: a default set on a nested object reaches its fields. */
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { schemaFields } from '../../src-main/common/schema-fields.ts';
import { trainConfigSchema } from '../../src-main/common/contract/index.ts';

const defaults = (schema: z.ZodType) => Object.fromEntries([...schemaFields(schema)].map(([path, f]) => [path, f.default]));

describe('schema defaults by field', () => {
  it('a nested object default gives its fields theirs, two levels down; a field default of its own wins', () => {
    const schema = z.object({
      head: z
        .object({
          size: z.number().int(),
          kind: z.enum(['a', 'b']),
          inner: z.object({ rate: z.number(), keep: z.boolean().default(true) }),
          own: z.number().default(7),
        })
        .default({ size: 3, kind: 'b', inner: { rate: 0.25, keep: false }, own: 9 }),
      plain: z.number(),
    });
    expect(defaults(schema)).toEqual({ 'head.size': 3, 'head.kind': 'b', 'head.inner.rate': 0.25, 'head.inner.keep': true, 'head.own': 7, plain: undefined });
  });

  it("the training config's optimizer and schedule defaults reach their fields", () => {
    const d = defaults(trainConfigSchema);
    expect(d).toMatchObject({ 'optimizer.lr': 0.1, 'optimizer.momentum': 0.9, 'optimizer.nesterov': true, 'schedule.kind': 'constant' });
  });
});
