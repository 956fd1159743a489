/**
 * Grafana's side of a backend plugin, for the e2e harness, plugin tests and benches: starts the plugin executable the
 * way Grafana's go-plugin client does (its environment, the magic cookie, the handshake line on stdout), then
 * talks gRPC to the announced address with clients compiled from the PUBLISHED pluginv2 proto
 * (e2e/harness/fixtures/grafana-plugin-sdk-go/backend.proto) — so everything sent and received is checked against
 * Grafana's definitions, not this plugin's own subset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Client,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PUBLISHED_PROTO = path.resolve(here, '../../../fixtures/grafana-plugin-sdk-go/backend.proto');

/** go-plugin's handshake line: `CORE|APP|NETWORK|ADDRESS|PROTOCOL` (e.g. `1|2|tcp|127.0.0.1:PORT|grpc`). */
export function parseHandshakeLine(line: string): {
  core: number;
  app: number;
  network: string;
  address: string;
  protocol: string;
} {
  const parts = line.trim().split('|');
  if (parts.length < 5) throw new Error(`not a go-plugin handshake line: ${line.slice(0, 200)}`);
  const [core, app, network, address, protocol] = parts as [string, string, string, string, string];
  return { core: Number(core), app: Number(app), network, address, protocol };
}

/** The published pluginv2 package (int64 as numbers, enums as names, bytes as Buffers). */
export function publishedPluginV2(): GrpcObject {
  const def = loadSync(PUBLISHED_PROTO, {
    keepCase: true,
    longs: Number,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
  });
  return loadPackageDefinition(def).pluginv2 as GrpcObject;
}

export type AnyClient = Client & Record<string, (...args: unknown[]) => unknown>;

export interface PluginHost {
  /** `127.0.0.1:<port>` from the handshake. */
  address: string;
  handshake: string;
  proc: ChildProcess;
  data: AnyClient;
  diagnostics: AnyClient;
  resource: AnyClient;
  stream: AnyClient;
  /** Everything the plugin wrote on stderr so far (its logs). */
  stderr(): string;
  /** Unary call helper: `await host.call(host.data, 'QueryData', req)`. */
  call<T>(client: AnyClient, method: string, req: unknown): Promise<T>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The plugin executable Grafana would start, and its arguments. */
  command: string;
  args?: string[];
  /** Extra environment (Grafana also passes GF_* variables). */
  env?: Record<string, string>;
  /** Inherit nothing but these from the parent (default PATH, HOME): Grafana's plugin env is explicit. */
  inherit?: string[];
  handshakeTimeoutMs?: number;
}

/** The environment Grafana's plugin loader gives a backend plugin (go-plugin client + Grafana's own). */
export function grafanaPluginEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    grafana_plugin_type: 'datasource',
    PLUGIN_PROTOCOL_VERSIONS: '2',
    PLUGIN_MIN_PORT: '10000',
    PLUGIN_MAX_PORT: '25000',
    GF_VERSION: '12.4.10',
    GF_EDITION: 'oss',
    GF_PLUGIN_GRPC_MAX_RECEIVE_MESSAGE_SIZE: '16',
    ...extra,
  };
}

export async function startPluginHost(opts: StartOptions): Promise<PluginHost> {
  const { command } = opts;
  const args = opts.args ?? [];
  const env: Record<string, string> = {};
  for (const k of opts.inherit ?? ['PATH', 'HOME'])
    if (process.env[k] !== undefined) env[k] = process.env[k]!;
  const proc = spawn(command, args, {
    env: { ...env, ...grafanaPluginEnv(opts.env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => {
    err = (err + b.toString('utf8')).slice(-1024 * 1024);
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `no handshake line within ${opts.handshakeTimeoutMs ?? 15_000} ms; stderr: ${err.slice(-500)}`
          )
        ),
      opts.handshakeTimeoutMs ?? 15_000
    );
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`plugin exited (${code}) before its handshake; stderr: ${err.slice(-500)}`));
    });
  });
  const hs = parseHandshakeLine(line);
  if (hs.core !== 1 || hs.app !== 2 || hs.network !== 'tcp' || hs.protocol !== 'grpc') {
    proc.kill('SIGKILL');
    throw new Error(`unexpected handshake: ${line}`);
  }
  const pkg = publishedPluginV2();
  const make = (name: string) =>
    new (pkg[name] as ServiceClientConstructor)(hs.address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    }) as unknown as AnyClient;
  const clients = {
    data: make('Data'),
    diagnostics: make('Diagnostics'),
    resource: make('Resource'),
    stream: make('Stream'),
  };
  return {
    address: hs.address,
    handshake: line,
    proc,
    ...clients,
    stderr: () => err,
    call: <T>(client: AnyClient, method: string, req: unknown) =>
      new Promise<T>((resolve, reject) => {
        const fn = client[method] as (r: unknown, cb: (e: Error | null, res: T) => void) => void;
        fn.call(client, req, (e, res) => (e ? reject(e) : resolve(res)));
      }),
    stop: async () => {
      for (const c of Object.values(clients)) c.close();
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
