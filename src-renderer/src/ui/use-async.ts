/**
 * Async state of a view: `run(work)` tracks loading, keeps the result of the
 * latest run in `data` and any failure as an ApiError. A failure naming a
 * request field the view shows lands in `fieldErrors` (next to that field);
 * any other failure is `message`, for the view's error banner.
 */
import { computed, ref, shallowRef, toValue, type MaybeRefOrGetter } from 'vue';
import type { ApiError } from '../../../src-main/common/contract/index.ts';
import { toApiError } from '../api/index.ts';

export interface AsyncOptions {
  /** Request fields the view shows (dotted paths); an error on one of them, or inside one, goes to that field. */
  fields?: MaybeRefOrGetter<readonly string[]>;
  /** Or a function naming the field an error path belongs to (a form with nested fields). */
  fieldOf?: (path: string) => string | undefined;
}

/**
 * The field an error path belongs to. Job params arrive wrapped (`jobs.submit`'s
 * `params`, a validate call's `config`), so the inner path is matched.
 */
export function fieldOf(path: string | undefined, fields: readonly string[]): string | undefined {
  const inner = path?.replace(/^(params|config)\./, '');
  if (!inner) return undefined;
  return fields.find((f) => inner === f || inner.startsWith(`${f}.`) || inner.startsWith(`${f}[`));
}

/**
 * A server message without its leading "<field>: " (the CLI needs it; a page shows the
 * message next to that field, or where the request's field name means nothing to a reader).
 */
export function readableMessage(error: ApiError): string {
  const inner = error.field?.replace(/^(params|config)\./, '');
  for (const prefix of [error.field, inner]) {
    if (prefix && error.message.startsWith(`${prefix}: `)) return error.message.slice(prefix.length + 2);
  }
  return error.message;
}

export function useAsync<T = unknown>(options: AsyncOptions = {}) {
  const data = shallowRef<T>();
  const error = shallowRef<ApiError | null>(null);
  const pending = ref(0);
  const loading = computed(() => pending.value > 0);
  let latest = 0;

  const field = computed(() => {
    const path = error.value?.field;
    if (options.fieldOf) return path ? options.fieldOf(path.replace(/^(params|config)\./, '')) : undefined;
    return fieldOf(path, toValue(options.fields) ?? []);
  });
  const fieldErrors = computed<Record<string, string>>(() => (field.value && error.value ? { [field.value]: readableMessage(error.value) } : {}));
  const message = computed(() => (error.value && !field.value ? error.value.message : null));

  /**
   * Runs the work; resolves to its result, or undefined when it failed (the
   * error is then in `error`). Only the latest run sets `data`, so a slow
   * earlier answer never replaces a newer one.
   */
  async function run<R extends T>(work: () => Promise<R>): Promise<R | undefined> {
    const ticket = ++latest;
    pending.value++;
    error.value = null;
    try {
      const result = await work();
      if (ticket === latest) data.value = result;
      return result;
    } catch (e) {
      error.value = toApiError(e);
      return undefined;
    } finally {
      pending.value--;
    }
  }

  /** Shows an error found without running anything (e.g. a check before sending). */
  function fail(e: unknown): void {
    error.value = toApiError(e);
  }

  function clear(): void {
    error.value = null;
  }

  return { data, error, loading, message, fieldErrors, run, fail, clear };
}
