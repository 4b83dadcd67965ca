import type { z } from 'zod';

/**
 * One call of the API contract: the request schema (validated at every host's
 * edge) and the response type (a phantom: responses come from our own code, so
 * they are typed, not re-validated).
 */
export interface CallDef<Req extends z.ZodType, Res> {
  readonly request: Req;
  readonly summary: string;
  /** Phantom field carrying the response type; never read at run time. */
  readonly response?: Res;
}

export function call<Res>() {
  return <Req extends z.ZodType>(request: Req, summary: string): CallDef<Req, Res> => ({ request, summary });
}
