/** An expected failure: printed as one line, without a stack trace. */
export class CliError extends Error {}

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
