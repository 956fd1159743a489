/**
 * Reading typed settings from the environment, with errors that name the
 * variable. Every config module of the pod (core, observability, inspect)
 * parses through these, so `PORT=abc` and `COLLAB_METRICS_ENABLED=maybe`
 * fail the same clear way at start-up.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** The trimmed value, or undefined when unset or blank. */
export function envStr(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** A non-negative integer in [min, max], or `def` when unset. */
export function envInt(
  env: Env,
  name: string,
  def: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER
): number {
  const raw = envStr(env, name);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${raw}`);
  }
  return n;
}

/** true/false (also 1/0, yes/no, on/off), or `def` when unset. */
export function envBool(env: Env, name: string, def = false): boolean {
  const raw = envStr(env, name)?.toLowerCase();
  if (raw === undefined) return def;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}
