/**
 * The hosts the inspect contract runs against, behind one factory interface: our collab pod (a real
 * process, stock y-websocket editors with JWTs) and a real Hocuspocus server with CollabMonitor
 * (real @hocuspocus/provider editors; identity from the test's onAuthenticate, which reads the
 * provider's token as `<sub>|<name>` and returns it as the connection's context).
 */
import * as Y from 'yjs';
import { MemoryUpdateLog } from '../../src/index.js';
import { connectHocuspocus, startHocuspocus } from './hocuspocus.js';
import { connectEditor, KEYS, startPod } from './pod.js';

export interface Editor {
  doc: Y.Doc;
  destroy(): void;
}

export interface HostUnderTest {
  readonly label: string;
  readonly httpUrl: string;
  /** `/inspect` is `${wsUrl}/inspect`. */
  readonly wsUrl: string;
  /** Whether the host keeps a timestamped update log (history / time travel). */
  readonly history: boolean;
  /** An editor in `room` as user `sub` named `name`, with this awareness state; resolves once synced. */
  editor(room: string, sub: string, name: string, awareness: Record<string, unknown>): Promise<Editor>;
  stop(): Promise<void>;
}

export type HostFactory = () => Promise<HostUnderTest>;

/** The org API keys both hosts accept (the pod's test defaults). */
export { KEYS };

const HOCUSPOCUS_SECRET = 'hocuspocus-contract-test-secret-0123456789abcdef';

export const podHost: HostFactory = async () => {
  const pod = await startPod();
  return {
    label: 'collab pod',
    httpUrl: pod.httpUrl,
    wsUrl: pod.wsUrl,
    history: true,
    editor: (room, sub, name, awareness) => connectEditor(pod.wsUrl, room, sub, name, awareness),
    stop: () => pod.cleanup(),
  };
};

function hocuspocusFactory(withHistory: boolean): HostFactory {
  return async () => {
    const hp = await startHocuspocus({
      monitor: {
        instance: 'hocuspocus-contract',
        secret: HOCUSPOCUS_SECRET,
        apiKeys: [
          { org: 'acme', key: KEYS.metadata, scope: 'metadata' },
          { org: 'acme', key: KEYS.content, scope: 'content' },
          { org: 'globex', key: KEYS.globex, scope: 'metadata' },
        ],
        user: (context) => (context as { user?: { id: string; name?: string } } | undefined)?.user,
        ...(withHistory ? { history: new MemoryUpdateLog() } : {}),
      },
      extensions: [
        {
          async onAuthenticate({ token }: { token: string }) {
            const [id, name] = token.split('|');
            return { user: { id: id ?? 'anonymous', ...(name ? { name } : {}) } };
          },
        },
      ],
    });
    return {
      label: withHistory ? 'hocuspocus + update log' : 'hocuspocus',
      httpUrl: hp.httpUrl,
      wsUrl: hp.wsUrl,
      history: withHistory,
      async editor(room, sub, name, awareness) {
        const c = connectHocuspocus(hp.wsUrl, room, { token: `${sub}|${name}`, awareness });
        await c.synced;
        return c;
      },
      stop: () => hp.stop(),
    };
  };
}

export const hocuspocusHost = hocuspocusFactory(true);
export const hocuspocusWithoutHistory = hocuspocusFactory(false);
