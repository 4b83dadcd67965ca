/**
 * What every custom field renderer (a picker fed by a store, radio buttons...)
 * receives and may emit. `update:modelValue` is the user's choice;
 * `fallback` a first choice the widget made itself once its options arrived
 * (not an edit); `error` a problem of its own, shown on the field.
 */
import type { FormField, FormValues } from './form-types.ts';

export interface WidgetProps {
  id: string;
  modelValue: unknown;
  field: FormField;
  /** Every value of the form (a split picker reads the chosen dataset). */
  values: FormValues;
  invalid: boolean;
}

export interface WidgetEmits {
  'update:modelValue': [value: unknown];
  fallback: [value: unknown];
  error: [message: string | null];
}
