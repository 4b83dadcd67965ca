import { ApiError, type ApiErrorCode, type Envelope } from '../../../src-main/common/contract/errors.ts';

const knownCodes: readonly ApiErrorCode[] = ['invalid_request', 'unknown_call', 'not_found', 'conflict', 'failed', 'unauthorized'];

/** Returns the result of an Envelope, or throws the ApiError it carries (with code and field). */
export function unwrapEnvelope<T>(envelope: unknown, context: string): T {
  if (envelope && typeof envelope === 'object' && 'ok' in envelope) {
    const e = envelope as Envelope<T>;
    if (e.ok) return e.result;
    const code = knownCodes.includes(e.error?.code) ? e.error.code : 'failed';
    throw new ApiError(code, e.error?.message ?? `${context} failed`, e.error?.field);
  }
  throw new ApiError('failed', `${context}: the host sent a malformed reply`);
}

/** Any thrown value as an ApiError, so views can always read code, message and field. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error) return new ApiError('failed', error.message);
  return new ApiError('failed', String(error));
}
