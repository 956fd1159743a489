/**
 * Error text in one place: what a caught value says, for logs, close reasons and panel messages.
 * A caught value may be anything (`throw 'x'`, a rejected promise with an object); these never throw.
 */

/** The message of an `Error`, else the value as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The value itself when it is an `Error`, else an `Error` whose message is the value as a string. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
