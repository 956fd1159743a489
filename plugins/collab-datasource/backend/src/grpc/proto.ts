/**
 * The protocol definitions, compiled from the .proto texts embedded in the bundle (esbuild's text loader;
 * nothing is read from disk at runtime): Grafana's pluginv2 subset, go-plugin's own services and gRPC
 * health. Messages decode with int64 as numbers, enums as names and bytes as Buffers.
 */
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

import goPluginProto from '../../proto/goplugin.proto';
import healthProto from '../../proto/health.proto';
import pluginV2Proto from '../../proto/pluginv2.proto';

export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

/** Parses proto source texts into one root (each text is its own file with its own package). */
export function parseProtos(texts: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  for (const text of texts) protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  return root;
}

function grpcObject(texts: readonly string[]): GrpcObject {
  return loadPackageDefinition(fromJSON(parseProtos(texts).toJSON(), LOADER_OPTIONS));
}

function child(obj: GrpcObject, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

function service(obj: GrpcObject, path: string): ServiceDefinition {
  const ctor = child(obj, path) as { service?: ServiceDefinition } | undefined;
  if (!ctor?.service) throw new Error(`proto: no service ${path}`);
  return ctor.service;
}

let cached: ReturnType<typeof build> | null = null;

function build() {
  const obj = grpcObject([pluginV2Proto, goPluginProto, healthProto]);
  return {
    data: service(obj, 'pluginv2.Data'),
    diagnostics: service(obj, 'pluginv2.Diagnostics'),
    resource: service(obj, 'pluginv2.Resource'),
    stream: service(obj, 'pluginv2.Stream'),
    broker: service(obj, 'plugin.GRPCBroker'),
    controller: service(obj, 'plugin.GRPCController'),
    stdio: service(obj, 'plugin.GRPCStdio'),
    health: service(obj, 'grpc.health.v1.Health'),
  };
}

/** The service definitions this backend serves (compiled once). */
export function services(): ReturnType<typeof build> {
  cached ??= build();
  return cached;
}

/** The proto texts, for clients in tests and the harness. */
export const PROTO_TEXTS = { pluginV2: pluginV2Proto, goPlugin: goPluginProto, health: healthProto } as const;
