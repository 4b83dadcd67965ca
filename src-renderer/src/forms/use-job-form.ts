/**
 * The state of one job form: values, which fields are shown, the params they
 * make, the schema's verdict on them, and the errors to show where. A field's
 * own problem shows once the user has changed it (or tried to send); an error
 * from the server shows on the field it names (else in the banner) until that
 * field is edited. Nothing is sent while the schema finds a problem.
 */
import { computed, ref, watch } from 'vue';
import type { BackendChoice, JobSummary, RunOn } from '../../../src-main/common/contract/index.ts';
import { useJobsStore } from '../stores/jobs.ts';
import { useAsync } from '../ui/use-async.ts';
import type { FormContext, FormField, FormSection, FormValues, JobFormDef } from './form-types.ts';
import { fieldForPath, initialValues, resolveSections, toParams } from './form-model.ts';
import { checkParams } from './form-messages.ts';

const isEmpty = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && !v.trim());

/**
 * `preset`: values fixed by the caller (sent, not shown); `start`: values the
 * form starts from instead of its own (a cloned run's config), still editable.
 */
export function useJobForm(def: JobFormDef, preset: FormValues = {}, start: FormValues = {}) {
  const jobs = useJobsStore();
  const sections = resolveSections(def);
  const all = sections.flatMap((s) => s.fields);
  const values = ref<FormValues>({ ...initialValues(all), ...start });
  // A derived default (milestones from epochs) does not overwrite a value the form started from.
  const edited = ref(new Set<string>(all.filter((f) => f.derive && f.path in start).map((f) => f.path)));
  const attempted = ref(false);
  const backend = ref<BackendChoice>('auto');
  const runOn = ref<RunOn>('local');
  /** Problems a picker met on its own (its list did not load, a detection failed). */
  const widgetErrors = ref<Record<string, string>>({});

  const sending = useAsync<JobSummary>({ fieldOf: (path): string | undefined => (path.startsWith('runOn') || path.startsWith('profile') ? 'runOn' : def.backend && path === 'backend' ? 'backend' : fieldForPath(path, shown.value)?.path) });
  const context = computed<FormContext>(() => ({ serverError: sending.error.value }));
  // Fields the caller fixed (a table row's model) are sent but not shown.
  const isShown = (f: FormField): boolean => !(f.path in preset) && (f.when?.(values.value, context.value) ?? true);
  const shownSections = computed<FormSection[]>(() => sections.map((s) => ({ ...s, fields: s.fields.filter(isShown) })).filter((s) => s.fields.length));
  const shown = computed<FormField[]>(() => shownSections.value.flatMap((s) => s.fields));
  const params = computed(() => toParams(shown.value, values.value, preset));
  const check = computed(() => checkParams(def.schema, params.value, shown.value));

  const errors = computed<Record<string, string>>(() => {
    const own = Object.entries(check.value.fields).filter(([path]) => attempted.value || edited.value.has(path));
    return { ...Object.fromEntries(own), ...widgetErrors.value, ...sending.fieldErrors.value };
  });
  const banner = computed(() => sending.message.value ?? (attempted.value ? check.value.form : null));
  /** A picker or a path with nothing in it: the button waits instead of the form complaining. */
  /** The job this form queued last, with what it was sent: while it runs, the same request is not sent again. */
  const submitted = ref<{ id: number; request: string } | null>(null);
  /** From the click until the queued job is recorded (the button's `loading` ends a little before). */
  let inFlight = false;
  const requestKey = () => JSON.stringify([params.value, backend.value, runOn.value]);
  /** The job the form queued, while it is queued or running and the form still holds the values it was sent with. */
  const runningJob = computed(() => {
    const last = submitted.value;
    return last && jobs.isActive(last.id) && last.request === requestKey() ? jobs.byId(last.id) : undefined;
  });
  const canSubmit = computed(() => !sending.loading.value && !runningJob.value && !shown.value.some((f) => f.required && (f.widget || f.kind === 'string') && isEmpty(values.value[f.path])));

  // Derived defaults (milestones from epochs) follow until the user edits the field.
  for (const f of all.filter((x) => x.derive)) {
    watch(
      () => f.derive!(values.value),
      (v) => {
        if (!edited.value.has(f.path)) values.value[f.path] = v;
      },
      { immediate: true },
    );
  }

  /** A server error is stale once its field changes; one for the whole form once anything does. */
  function clearServerError(path: string): void {
    const serverField = Object.keys(sending.fieldErrors.value)[0];
    if (!serverField || serverField === path) sending.clear();
  }

  /** `byUser` false: a picker filled in a first choice, which is not an edit. */
  function set(path: string, value: unknown, byUser = true): void {
    values.value[path] = value;
    if (!byUser) return;
    // Emptying a derived field gives it back its default, as its hint promises, instead of a "required" error.
    const derive = all.find((f) => f.path === path)?.derive;
    if (derive && isEmpty(value)) {
      edited.value.delete(path);
      values.value[path] = derive(values.value);
      clearServerError(path);
      return;
    }
    edited.value.add(path);
    delete widgetErrors.value[path];
    clearServerError(path);
  }

  function setWidgetError(path: string, message: string | null): void {
    if (message) widgetErrors.value[path] = message;
    else delete widgetErrors.value[path];
  }

  function setBackend(choice: BackendChoice, byUser = true): void {
    backend.value = choice;
    if (byUser) clearServerError('backend');
  }

  function setRunOn(choice: RunOn): void {
    runOn.value = choice;
    clearServerError('runOn');
  }

  async function submit(): Promise<JobSummary | undefined> {
    // A second click while the first is sent, or while its job runs unchanged, queues nothing.
    if (inFlight || runningJob.value) return undefined;
    attempted.value = true;
    if (Object.keys(check.value.fields).length || check.value.form) return undefined;
    const send = def.submit ?? ((p, b, r) => jobs.submit(def.kind, p, b, r));
    // Taken before sending clears the last server error, which may be what shows a field.
    const [request, choice, where] = [params.value, backend.value, runOn.value];
    const key = requestKey();
    inFlight = true;
    try {
      const job = await sending.run(() => send(request, choice, where));
      if (job) {
        jobs.upsert(job);
        submitted.value = { id: job.id, request: key };
      }
      return job;
    } finally {
      inFlight = false;
    }
  }

  return { sections: shownSections, values, errors, banner, canSubmit, runningJob, backend, runOn, set, setWidgetError, setBackend, setRunOn, submit };
}
