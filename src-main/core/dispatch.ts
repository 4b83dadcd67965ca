import { z } from 'zod';
import { contract, isCallName, type CallName, type Envelope } from '../common/contract/index.ts';
import { ApiError } from '../common/contract/errors.ts';
import type { Handler, HandlerTable, ServiceContext } from './handler-types.ts';
import { describeZodError } from './jobs/job-manager.ts';

/**
 * The one entry point every host uses: validate the request against the
 * contract, run its handler, and turn any failure into an error envelope.
 * A malformed request never reaches a handler and never crashes the host.
 */
export async function dispatch(handlers: HandlerTable, ctx: ServiceContext, name: string, rawRequest: unknown): Promise<Envelope<unknown>> {
  try {
    if (!isCallName(name)) throw new ApiError('unknown_call', `Unknown call "${name}".`);
    const schema = contract[name].request as z.ZodType;
    const parsed = schema.safeParse(rawRequest ?? {});
    if (!parsed.success) throw describeZodError(parsed.error, '');
    const handler = handlers[name] as Handler<CallName>;
    const result = await handler(parsed.data as never, ctx);
    return { ok: true, result };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: err.toBody() };
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: { code: 'failed', message } };
  }
}
