import { ref } from 'vue';
import { toApiError } from '../api/index.ts';

/**
 * Form error state: an ApiError naming a request field is shown next to that
 * field; any other error is shown once for the whole form.
 */
export function useFieldErrors() {
  const fields = ref<Record<string, string>>({});
  const form = ref<string | null>(null);

  function clear(): void {
    fields.value = {};
    form.value = null;
  }

  /** Shows the error where it belongs; `knownFields` are the fields this form displays. */
  function show(error: unknown, knownFields: readonly string[]): void {
    clear();
    const e = toApiError(error);
    // Job params arrive wrapped (jobs.submit's `params`, a validate call's `config`): match the inner path.
    const path = e.field?.replace(/^(params|config)\./, '');
    const field = path && knownFields.find((f) => path === f || path.startsWith(`${f}.`) || path.startsWith(`${f}[`));
    if (field) fields.value = { [field]: e.message };
    else form.value = e.message;
  }

  return { fields, form, clear, show };
}
