/**
 * Readiness checks behind `GET /readyz`. The core registers `storage`;
 * extensions add their own (e.g. Redis fan-out reporting `degraded`).
 * `fail` makes the pod not ready (503); `degraded` is reported but ready.
 * Each check is bounded by a timeout so a hung dependency reads as `fail`.
 */
export type CheckStatus = 'ok' | 'degraded' | 'fail';

export interface CheckResult {
  status: CheckStatus;
  detail?: string;
}

export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

export interface ReadinessReport {
  ready: boolean;
  status: CheckStatus;
  checks: Record<string, CheckResult>;
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  shuttingDown = false;

  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async evaluate(timeoutMs = 2000): Promise<ReadinessReport> {
    const checks: Record<string, CheckResult> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const timeout = new Promise<CheckResult>((resolve) => {
            timer = setTimeout(() => resolve({ status: 'fail', detail: 'check timed out' }), timeoutMs);
          });
          checks[name] = await Promise.race([Promise.resolve().then(check), timeout]);
        } catch (err) {
          checks[name] = { status: 'fail', detail: (err as Error)?.message ?? 'check failed' };
        } finally {
          if (timer) clearTimeout(timer);
        }
      })
    );
    if (this.shuttingDown) checks.shutdown = { status: 'fail', detail: 'pod is shutting down' };
    const values = Object.values(checks);
    const status: CheckStatus = values.some((c) => c.status === 'fail')
      ? 'fail'
      : values.some((c) => c.status === 'degraded')
        ? 'degraded'
        : 'ok';
    return { ready: status !== 'fail', status, checks };
  }
}
