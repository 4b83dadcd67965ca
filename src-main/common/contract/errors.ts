/** Error codes every host maps the same way (HTTP status, CLI exit line, IPC rejection). */
export type ApiErrorCode = 'invalid_request' | 'unknown_call' | 'not_found' | 'conflict' | 'failed' | 'unauthorized';

export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  /** Dotted path of the offending request field, when one is to blame. */
  field?: string;
}

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly field: string | undefined;
  constructor(code: ApiErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }
  toBody(): ApiErrorBody {
    return this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field };
  }
}

/** What every transport sends back: a result or an error, never a thrown stack. */
export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ApiErrorBody };
