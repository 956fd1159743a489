/**
 * OpenTelemetry tracing of the pod. `main.ts` imports this module FIRST so the
 * SDK is registered before anything creates a tracer.
 *
 * - Entirely off unless `OTEL_EXPORTER_OTLP_ENDPOINT` or
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; `OTEL_SDK_DISABLED=true` and
 *   `OTEL_TRACES_EXPORTER=none` also turn it off.
 * - OTLP/HTTP exporter (JSON encoding) configured by the standard `OTEL_*`
 *   variables (endpoint, headers, timeout, compression). OTLP/HTTP receivers
 *   (collector, Tempo) accept JSON whatever `OTEL_EXPORTER_OTLP_PROTOCOL`
 *   says; `grpc` is not supported (a warning is printed).
 * - Sampler `ParentBased(TraceIdRatioBased(0.1))`, the ratio overridable by
 *   `OTEL_TRACES_SAMPLER_ARG`.
 * - Resource: `service.name` = `collab-server` (or `OTEL_SERVICE_NAME`),
 *   `service.instance.id` / `k8s.pod.name` = the pod name, plus
 *   `OTEL_RESOURCE_ATTRIBUTES`. No auto-instrumentation.
 * - Defence in depth: exported spans lose any attribute whose key looks like
 *   a personal field or a credential (`AttributeGuardSpanProcessor`).
 */
import {
  context,
  isSpanContextValid,
  propagation,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK, resources, tracing } from '@opentelemetry/sdk-node';
import os from 'node:os';
import { errorMessage } from '@collabblocks/protocol';

type Env = Record<string, string | undefined>;
type SpanProcessor = tracing.SpanProcessor;
type ReadableSpan = tracing.ReadableSpan;
type Span = tracing.Span;

export const SERVICE_NAME = 'collab-server';
export const DEFAULT_SAMPLE_RATIO = 0.1;
const TRACER_NAME = 'collab-server';

export interface TracingSettings {
  enabled: boolean;
  /** Why tracing is off (for one startup log line). */
  reason?: string;
  /** A setting we cannot honour (e.g. gRPC protocol), printed once at startup. */
  warning?: string;
  ratio: number;
  serviceName: string;
  pod: string;
}

function envStr(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** Sample ratio from `OTEL_TRACES_SAMPLER_ARG` (0..1), default 0.1; invalid values fall back to the default. */
export function sampleRatioFromEnv(env: Env = process.env): number {
  const raw = envStr(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined) return DEFAULT_SAMPLE_RATIO;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : DEFAULT_SAMPLE_RATIO;
}

export function tracingSettingsFromEnv(env: Env = process.env): TracingSettings {
  const base = {
    ratio: sampleRatioFromEnv(env),
    serviceName: envStr(env, 'OTEL_SERVICE_NAME') ?? SERVICE_NAME,
    pod: envStr(env, 'COLLAB_POD_NAME') ?? os.hostname(),
  };
  if (['true', '1'].includes(envStr(env, 'OTEL_SDK_DISABLED')?.toLowerCase() ?? '')) {
    return { ...base, enabled: false, reason: 'OTEL_SDK_DISABLED' };
  }
  if (envStr(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase() === 'none') {
    return { ...base, enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  }
  if (!envStr(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') && !envStr(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) {
    return { ...base, enabled: false, reason: 'no OTLP endpoint configured' };
  }
  const protocol = (
    envStr(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? envStr(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  )?.toLowerCase();
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    return {
      ...base,
      enabled: true,
      warning: `OTLP protocol "${protocol}" is not supported: spans are sent as OTLP/HTTP JSON to the endpoint`,
    };
  }
  return { ...base, enabled: true };
}

/** The sampler the pod ships: `ParentBased(TraceIdRatioBased(ratio))`. */
export function createSampler(ratio: number = DEFAULT_SAMPLE_RATIO): tracing.Sampler {
  return new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(ratio) });
}

/**
 * True for attribute keys that may carry personal data or credentials:
 * `name`, `user.name`, `enduser.*`, anything with `token`, `authorization`,
 * `password`, `secret`, `cookie`, `api_key`/`apikey`, `email`, `display_name`/`displayname`.
 */
export function isPersonalAttributeKey(key: string): boolean {
  const k = key.toLowerCase();
  if (k === 'name' || k === 'user.name' || k === 'username' || k === 'user_name') return true;
  if (k.startsWith('enduser.')) return true;
  return /token|authorization|password|passwd|secret|cookie|api[_.-]?key|e-?mail|display[_.-]?name/.test(k);
}

function scrub(attrs: Attributes | undefined): void {
  if (!attrs) return;
  for (const key of Object.keys(attrs)) {
    if (isPersonalAttributeKey(key)) delete attrs[key];
  }
}

/**
 * Wraps the exporting span processor: at span end, personal / credential
 * attributes (on the span, its events and links) are removed before the span
 * reaches `inner`.
 */
export class AttributeGuardSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // The SDK hands us its own (ended) span objects; their attribute maps are plain objects.
    scrub(span.attributes);
    for (const ev of span.events) scrub(ev.attributes);
    for (const link of span.links) scrub(link.attributes);
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

export interface TracingHandle {
  readonly settings: TracingSettings;
  /** Flushes pending spans and stops the SDK. Idempotent. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  env?: Env;
  /**
   * Replaces the OTLP exporter path (tests: an in-memory exporter's processor).
   * It is still wrapped by the attribute guard. Also forces tracing on.
   */
  spanProcessor?: SpanProcessor;
}

let active: TracingHandle | undefined;

/**
 * Starts the SDK when the environment asks for it (or `spanProcessor` is
 * given); returns undefined when tracing stays off. Only one SDK can be active.
 */
export function startTracing(opts: StartTracingOptions = {}): TracingHandle | undefined {
  if (active) return active;
  const settings = tracingSettingsFromEnv(opts.env ?? process.env);
  if (!settings.enabled && !opts.spanProcessor) return undefined;
  const exportPath = opts.spanProcessor ?? new tracing.BatchSpanProcessor(new OTLPTraceExporter());
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    resource: resources.resourceFromAttributes({
      'service.instance.id': settings.pod,
      'k8s.pod.name': settings.pod,
    }),
    // Only OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME; no host/process detection (argv could leak).
    resourceDetectors: [resources.envDetector],
    sampler: createSampler(settings.ratio),
    spanProcessors: [new AttributeGuardSpanProcessor(exportPath)],
    instrumentations: [],
    // Traces only: no OTLP log or metric export from the SDK (metrics are scraped, logs go to stdout).
    logRecordProcessors: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  const handle: TracingHandle = {
    settings: { ...settings, enabled: true },
    shutdown: () => {
      stopping ??= sdk.shutdown().finally(() => {
        if (active === handle) active = undefined;
        // Unregister the globals so a later start (tests) can register again.
        trace.disable();
        propagation.disable();
        context.disable();
      });
      return stopping;
    },
  };
  active = handle;
  return handle;
}

/**
 * Flushes and stops the active SDK, if any (graceful shutdown). Gives up waiting after `timeoutMs`
 * (an unreachable collector must not hold the pod's shutdown); never rejects.
 */
export function shutdownTracing(timeoutMs = 5_000): Promise<void> {
  if (!active) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  return Promise.race([active.shutdown().catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

export function isTracingActive(): boolean {
  return active !== undefined;
}

/** The pod's tracer (a no-op tracer while tracing is off). */
export function getTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Trace id of the active span, only when that span is sampled (for exemplars and log links). */
export function currentTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const sc = span.spanContext();
  return isSpanContextValid(sc) && (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    ? sc.traceId
    : undefined;
}

// Imported first by main.ts: start from the environment (no-op when no OTLP endpoint is configured).
// A broken OTEL_* setting must not take the pod down: it runs untraced and says why.
try {
  const handle = startTracing();
  if (handle?.settings.warning) console.warn(`collab-server: tracing: ${handle.settings.warning}`);
} catch (err) {
  console.error(`collab-server: tracing disabled: ${errorMessage(err)}`);
}
