/**
 * HashiCorp go-plugin's handshake, as grafana-plugin-sdk-go configures it (backend/grpcplugin/handshake.go):
 * the host sets the magic cookie `grafana_plugin_type=datasource` and `PLUGIN_PROTOCOL_VERSIONS`; the plugin
 * serves gRPC and prints `CORE|APP|NETWORK|ADDRESS|PROTOCOL` (`1|2|tcp|127.0.0.1:PORT|grpc`) as the first
 * line on stdout. Ports come from PLUGIN_MIN_PORT..PLUGIN_MAX_PORT when the host sets them.
 */
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 2;
export const MAGIC_COOKIE_KEY = 'grafana_plugin_type';
export const MAGIC_COOKIE_VALUE = 'datasource';

export interface HandshakeEnv {
  /** Ports to try (empty: any free port). */
  ports: number[];
}

/** Checks the host's environment; throws a readable Error when this process was not started by a plugin host. */
export function readHandshakeEnv(env: NodeJS.ProcessEnv): HandshakeEnv {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new Error(
      'This binary is a Grafana plugin. It is not meant to be executed directly: Grafana starts it (magic cookie missing).'
    );
  }
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION))
    .split(',')
    .map((v) => Number(v.trim()));
  if (!versions.includes(APP_PROTOCOL_VERSION)) {
    throw new Error(
      `the host speaks plugin protocol ${versions.join(',')}; this plugin speaks ${APP_PROTOCOL_VERSION}`
    );
  }
  const min = Number(env.PLUGIN_MIN_PORT);
  const max = Number(env.PLUGIN_MAX_PORT);
  const ports: number[] = [];
  if (Number.isInteger(min) && Number.isInteger(max) && min > 0 && max >= min) {
    for (let p = min; p <= Math.min(max, min + 1000); p++) ports.push(p);
  }
  return { ports };
}

export function handshakeLine(port: number): string {
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc\n`;
}
