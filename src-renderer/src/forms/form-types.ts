/**
 * A job form is its params schema (what is accepted: kinds, limits, defaults,
 * messages) plus a layout (what a person sees: sections, labels, help, custom
 * pickers, conditions). The schema comes from the contract, so the form and
 * the server judge a value the same way; the layout is written per form in
 * `../job-forms/`.
 */
import type { Component } from 'vue';
import type { z } from 'zod';
import type { ApiError, BackendChoice, JobKind, JobSummary, RunOn } from '../../../src-main/common/contract/index.ts';
import type { SchemaField } from './schema-fields.ts';

/** The form's values by field path (`optimizer.lr`), as the controls hold them. */
export type FormValues = Record<string, unknown>;

/** What a condition may look at besides the values: the last error the server sent. */
export interface FormContext {
  serverError: ApiError | null;
}

export interface FieldLayout {
  /** Dotted path in the params (`prune.rate`), or a key of the form's own for a `local` field. */
  path: string;
  /** As written; without it, a label made from the key (with "(optional)" where it may be left empty). */
  label?: string;
  help?: string | ((values: FormValues) => string | undefined);
  /** Control id after the form's prefix; default the path with dashes. */
  id?: string;
  /** A custom renderer (a picker fed by a store, radio buttons...) instead of the control the schema implies. */
  widget?: Component;
  /** Further props for the widget. */
  props?: Record<string, unknown>;
  /** Labels of the choices of an enum (or a radio widget), in this order. */
  options?: Record<string, string>;
  /** Offer an empty choice with this label: an optional field left out, or null for a nullable one. */
  none?: string;
  /** Start value where the schema has no default, or where the form starts elsewhere (say why). */
  initial?: unknown;
  /** A value that follows other fields until the user edits this one (e.g. milestones from epochs). */
  derive?: (values: FormValues) => unknown;
  /** Shown, validated and sent only while this holds. */
  when?: (values: FormValues, context: FormContext) => boolean;
  /** This value means "leave it out" (0 warm-up epochs = no warm-up). */
  emptyValue?: unknown;
  /** The form asks for it although the schema lets it go (one of two alternatives the schema checks). */
  required?: boolean;
  step?: number;
  placeholder?: string;
  /** Takes a whole row of the grid (a row of radio choices). */
  wide?: boolean;
  /** Other request paths whose errors belong on this field. */
  errorPaths?: string[];
  /** Kept by the form only and never sent (a choice that switches sections). */
  local?: boolean;
}

export interface SectionLayout {
  title?: string;
  fields: FieldLayout[];
}

export interface JobFormDef {
  kind: JobKind;
  schema: z.ZodType;
  title?: string;
  intro?: string;
  /** The fields, grouped; without sections, every top-level field of the schema in schema order. */
  sections?: SectionLayout[];
  /** Per-field layout where the fields come from the schema. */
  fields?: Record<string, Omit<FieldLayout, 'path'>>;
  /** Prefix of the control ids; default the kind with dashes (`spgan-train`). */
  idPrefix?: string;
  /** `data-test` of the form element; default `job-form-<kind>`. */
  testId?: string;
  submitLabel?: string;
  cancelLabel?: string;
  /** One field per row (a narrow dialog) instead of a grid. */
  stacked?: boolean;
  /** Offer the compute backend (the settings' choice preselected). */
  backend?: boolean;
  /**
   * Offer "Run on" (this machine or a Slurm profile). Default: yes when the job
   * goes through `jobs.submit` or the form offers the backend (its `submit` then
   * passes runOn on).
   */
  runOn?: boolean;
  /** Sends the job; default `jobs.submit` with this kind. `runOn` is this machine or a Slurm profile (offered with the backend). */
  submit?: (params: Record<string, unknown>, backend: BackendChoice, runOn: RunOn) => Promise<JobSummary>;
}

/** One field as the form uses it: its schema facts and its layout together. */
export interface FormField extends Omit<SchemaField, 'required'>, Omit<FieldLayout, 'label' | 'required' | 'id'> {
  label: string;
  /** The whole control id, prefix included. */
  id: string;
  /** Must be filled before sending (pickers and paths disable the submit button while empty). */
  required: boolean;
}

export interface FormSection {
  title?: string;
  fields: FormField[];
}
