import type {
  InspectScope,
  InspectServerMessage,
  InspectStream,
  PresenceSubscribeOptions,
} from '@collabblocks/protocol';

export interface InspectToken {
  token: string;
  /** Epoch ms (pod clock). */
  expiresAt: number;
  scope: InspectScope;
  /** The org the token (its API key) is for. */
  org?: string;
}

/**
 * Mints (or returns a cached) inspect token; rejects with a readable Error.
 * `expiringAfter`: the token must expire later than this (a refresh asks for
 * one that outlives the token in use). `fresh`: never the cached one (the pod rejected it).
 */
export type TokenProvider = (opts?: { expiringAfter?: number; fresh?: boolean }) => Promise<InspectToken>;

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

export type StreamEvent =
  | { type: 'message'; pod: string; msg: InspectServerMessage }
  | { type: 'status'; pod: string; status: ConnectionStatus; detail?: string }
  | {
      type: 'error';
      pod: string;
      message: string;
      /** Inspect error code or `connection` / `token` / `timeout`. */
      code: string;
      /** True when this subscription / request will not produce more data by itself. */
      fatal: boolean;
    };

export interface StreamRequest {
  stream: InspectStream;
  room?: string;
  scope?: InspectScope;
  /** presence only: the subscription's field paths / location options. */
  presence?: PresenceSubscribeOptions;
}

export type OneShotRequest =
  | { type: 'history'; room: string; fromTs: number; toTs: number; afterSeq?: number; limit?: number }
  /** `toTs`: also replay the updates after `at` through it (`historyTreeSteps` messages follow the chunks). */
  | { type: 'historyTree'; room: string; at: number; toTs?: number; maxSteps?: number };
