/**
 * Counters for a simulation run, the periodic progress line and the summary
 * printed at exit. Keys are bounded: orgs and close codes only.
 */
import { closeCodeName } from '@collabblocks/protocol';
import type { EditKind } from './content.js';

interface OrgCounters {
  ops: number;
  connects: number;
  reconnects: number;
  errors: number;
}

export interface StatsSnapshot {
  elapsedMs: number;
  bots: number;
  connected: number;
  opsSent: number;
  opsByKind: Record<EditKind, number>;
  traceContextsSent: number;
  awarenessUpdates: number;
  connects: number;
  reconnects: number;
  leaves: number;
  rejoins: number;
  roomRotations: number;
  connectionErrors: number;
  /** Close events from the server, by close code (1000/1001/1006/4xxx...). */
  closesByCode: Record<string, number>;
  perOrg: Record<string, OrgCounters>;
}

export class SimStats {
  readonly startedAt: number;
  opsSent = 0;
  readonly opsByKind: Record<EditKind, number> = { text: 0, map: 0, array: 0, xml: 0 };
  traceContextsSent = 0;
  awarenessUpdates = 0;
  connects = 0;
  reconnects = 0;
  leaves = 0;
  rejoins = 0;
  roomRotations = 0;
  connectionErrors = 0;
  private readonly closes = new Map<number, number>();
  private readonly orgs = new Map<string, OrgCounters>();
  private lastProgress: { at: number; ops: number };

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
    this.lastProgress = { at: this.startedAt, ops: 0 };
  }

  private org(org: string): OrgCounters {
    let c = this.orgs.get(org);
    if (!c) {
      c = { ops: 0, connects: 0, reconnects: 0, errors: 0 };
      this.orgs.set(org, c);
    }
    return c;
  }

  op(org: string, kind: EditKind): void {
    this.opsSent++;
    this.opsByKind[kind]++;
    this.org(org).ops++;
  }

  connected(org: string, isReconnect: boolean): void {
    this.connects++;
    this.org(org).connects++;
    if (isReconnect) {
      this.reconnects++;
      this.org(org).reconnects++;
    }
  }

  closed(org: string, code: number): void {
    this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
    // 1000 (normal, our own leave) is not an error.
    if (code !== 1000) this.org(org).errors++;
  }

  /** A socket error event; the close that follows is what `errors` counts (no double count). */
  connectionError(_org: string): void {
    this.connectionErrors++;
  }

  snapshot(bots: number, connected: number): StatsSnapshot {
    const closesByCode: Record<string, number> = {};
    for (const [code, n] of [...this.closes].sort((a, b) => a[0] - b[0])) closesByCode[String(code)] = n;
    const perOrg: Record<string, OrgCounters> = {};
    for (const [org, c] of [...this.orgs].sort((a, b) => a[0].localeCompare(b[0]))) perOrg[org] = { ...c };
    return {
      elapsedMs: this.now() - this.startedAt,
      bots,
      connected,
      opsSent: this.opsSent,
      opsByKind: { ...this.opsByKind },
      traceContextsSent: this.traceContextsSent,
      awarenessUpdates: this.awarenessUpdates,
      connects: this.connects,
      reconnects: this.reconnects,
      leaves: this.leaves,
      rejoins: this.rejoins,
      roomRotations: this.roomRotations,
      connectionErrors: this.connectionErrors,
      closesByCode,
      perOrg,
    };
  }

  /** One line: connected bots, ops sent, ops/s since the last line, reconnects, errors. */
  progressLine(bots: number, connected: number): string {
    const now = this.now();
    const dt = Math.max(1, now - this.lastProgress.at) / 1000;
    const rate = (this.opsSent - this.lastProgress.ops) / dt;
    this.lastProgress = { at: now, ops: this.opsSent };
    const errors = this.errorCount();
    return (
      `[sim ${fmtDuration(now - this.startedAt)}] bots ${connected}/${bots} connected | ` +
      `ops ${this.opsSent} (${rate.toFixed(1)}/s) | reconnects ${this.reconnects} | errors ${errors}`
    );
  }

  /** Closes other than normal (1000): refused or dropped connections and server-side rejections. */
  errorCount(): number {
    let n = 0;
    for (const [code, c] of this.closes) if (code !== 1000) n += c;
    return n;
  }
}

export function fmtDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatSummary(s: StatsSnapshot): string {
  const secs = Math.max(0.001, s.elapsedMs / 1000);
  const lines: string[] = [];
  lines.push('=== simulation summary ===');
  lines.push(`duration        ${fmtDuration(s.elapsedMs)} (${secs.toFixed(1)} s)`);
  lines.push(`bots            ${s.bots} (${s.connected} connected at exit)`);
  lines.push(`ops sent        ${s.opsSent} (${(s.opsSent / secs).toFixed(1)}/s)`);
  lines.push(
    `  by kind       text ${s.opsByKind.text}, map ${s.opsByKind.map}, array ${s.opsByKind.array}, xml ${s.opsByKind.xml}`
  );
  lines.push(`awareness       ${s.awarenessUpdates} local updates`);
  lines.push(`trace contexts  ${s.traceContextsSent}`);
  lines.push(
    `connections     ${s.connects} connects, ${s.reconnects} reconnects, ${s.leaves} leaves, ${s.rejoins} rejoins`
  );
  lines.push(`room rotations  ${s.roomRotations} (fresh document generations)`);
  lines.push(`errors          ${s.connectionErrors} socket error events`);
  const codes = Object.entries(s.closesByCode);
  if (codes.length === 0) lines.push('closes by code  none');
  else {
    lines.push('closes by code');
    for (const [code, n] of codes) {
      const name = closeCodeName(Number(code)) ?? standardCloseName(Number(code));
      lines.push(`  ${code.padEnd(6)} ${name.padEnd(20)} ${n}`);
    }
  }
  lines.push('per org');
  lines.push(
    `  ${'org'.padEnd(12)} ${'ops'.padStart(8)} ${'connects'.padStart(9)} ${'reconn'.padStart(7)} ${'errors'.padStart(7)}`
  );
  for (const [org, c] of Object.entries(s.perOrg)) {
    lines.push(
      `  ${org.padEnd(12)} ${String(c.ops).padStart(8)} ${String(c.connects).padStart(9)} ${String(c.reconnects).padStart(7)} ${String(c.errors).padStart(7)}`
    );
  }
  return lines.join('\n');
}

function standardCloseName(code: number): string {
  switch (code) {
    case 1000:
      return 'NORMAL';
    case 1001:
      return 'GOING_AWAY';
    case 1005:
      return 'NO_STATUS';
    case 1006:
      return 'ABNORMAL (dropped)';
    case 1011:
      return 'SERVER_ERROR';
    case 1012:
      return 'SERVICE_RESTART';
    default:
      return 'other';
  }
}
