/** An expected failure: printed as one line, without a stack trace. */
export class CliError extends Error {}
