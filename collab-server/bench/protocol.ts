/** Messages between the benchmark driver and its load-generator processes (IPC, JSON). */

export interface BenchClientSpec {
  /** Index of the client within its room (key of its entry in the room's `bench` map). */
  slot: number;
  roomId: string;
  org: string;
}

export interface InitMessage {
  type: 'init';
  url: string;
  secret: string | null;
  clients: BenchClientSpec[];
}

export interface PhaseMessage {
  type: 'phase';
  id: number;
  /** Updates per second each client sends. */
  ratePerClient: number;
  durationMs: number;
  /** Time after the last send during which receipts still count. */
  drainMs: number;
}

export interface StopMessage {
  type: 'stop';
}

export type DriverMessage = InitMessage | PhaseMessage | StopMessage;

export interface ReadyMessage {
  type: 'ready';
  connected: number;
  connectMs: number;
}

export interface PhaseResultMessage {
  type: 'result';
  id: number;
  /** Updates sent during the phase, per room. */
  sentByRoom: Record<string, number>;
  /** Updates of this phase received by peers in this process. */
  received: number;
  histogram: { counts: number[]; sum: number; max: number };
  /** Server-initiated closes during the phase, by code. */
  closes: Record<string, number>;
  /** Sends skipped because the socket was not open. */
  skipped: number;
  /** Worst lag of the send loop behind its schedule, ms (is the generator keeping up?). */
  maxSendLagMs: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type WorkerMessage = ReadyMessage | PhaseResultMessage | ErrorMessage;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export function isDriverMessage(v: unknown): v is DriverMessage {
  return isObject(v) && (v.type === 'init' || v.type === 'phase' || v.type === 'stop');
}

export function isWorkerMessage(v: unknown): v is WorkerMessage {
  return isObject(v) && (v.type === 'ready' || v.type === 'result' || v.type === 'error');
}
