/** An expected failure: printed as one line, without a stack trace; `field` names the refused field, as the user spells it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A refused call as a CliError: its line (errorLine) and its field without the job wrapper. */
export function refusedCall(error: { message: string; field?: string }): CliError {
  return new CliError(errorLine(error), error.field?.replace(/^(params|config)\./, ''));
}

/** The JSON document `--json` prints on stdout for a failed command. */
export function errorDocument(message: string, field?: string): { error: { message: string; field?: string } } {
  return { error: { message, ...(field ? { field } : {}) } };
}

/**
 * A refused call as the CLI prints it: the field named once, as the user's JSON
 * file spells it (a job's config arrives wrapped as `params.` / `config.`):
 * "epochs: Too small ..." rather than "params.epochs: Too small ... (field params.epochs)".
 */
export function errorLine(error: { message: string; field?: string }): string {
  if (!error.field) return error.message;
  const inner = error.field.replace(/^(params|config)\./, '');
  for (const prefix of [error.field, inner]) {
    if (error.message.startsWith(`${prefix}: `)) return `${inner}: ${error.message.slice(prefix.length + 2)}`;
  }
  return `${error.message} (field ${inner})`;
}
