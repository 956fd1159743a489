/**
 * The gRPC server Grafana talks to: pluginv2 Data, Diagnostics, Resource and Stream, plus go-plugin's
 * health, controller, broker and stdio services. Every handler answers bad input with a status or an error
 * response; none can take the process down.
 */
import {
  type handleBidiStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServerWritableStream,
  status,
} from '@grpc/grpc-js';
import { errorMessage } from '@collabblocks/protocol';

import { checkHealth } from '../health/checkHealth';
import { collectMetrics } from '../health/metrics';
import { log } from '../log';
import { type InstanceDeps, Instances } from '../pods/instance';
import { queryData, type QueryDataOptions } from '../query/queryData';
import { callResource } from '../resources/callResource';
import { StreamRefused, Streams, type StreamsOptions } from '../stream/streams';
import type {
  CallResourceRequest,
  CallResourceResponse,
  CheckHealthRequest,
  CheckHealthResponse,
  CollectMetricsRequest,
  CollectMetricsResponse,
  PublishStreamRequest,
  PublishStreamResponse,
  QueryDataRequest,
  QueryDataResponse,
  RunStreamRequest,
  StreamPacket,
  SubscribeStreamRequest,
  SubscribeStreamResponse,
} from './messages';
import { services } from './proto';

/**
 * Ends a server-streaming call with an error status the client receives. grpc-js sends the status when the
 * stream ends after an 'error' event; `call.destroy(err)` instead destroys the stream before it can end, so
 * the status was never sent and the client's call hung open (every refused RunStream did).
 */
function endWithStatus(call: ServerWritableStream<unknown, unknown>, code: status, details: string): void {
  call.emit('error', { code, details });
}

export interface BackendOptions extends InstanceDeps {
  query?: QueryDataOptions;
  streams?: StreamsOptions;
  /** Called when the host asks the plugin to stop (GRPCController.Shutdown). */
  onShutdown?: () => void;
}

export class Backend {
  readonly instances: Instances;
  readonly streams: Streams;
  readonly server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  private readonly counters = { queries: 0, queryErrors: 0 };

  constructor(private readonly opts: BackendOptions = {}) {
    this.instances = new Instances(opts);
    this.streams = new Streams(this.instances, opts.streams);
    this.register();
  }

  private register(): void {
    const s = services();
    const unary =
      <Req, Res>(name: string, fn: (req: Req) => Promise<Res> | Res): handleUnaryCall<Req, Res> =>
      (call, cb) => {
        Promise.resolve()
          .then(() => fn(call.request))
          .then(
            (res) => cb(null, res),
            (err: unknown) => {
              log('error', `${name} failed`, { error: errorMessage(err) });
              cb({ code: status.INTERNAL, details: errorMessage(err) });
            }
          );
      };

    this.server.addService(s.data, {
      QueryData: unary<QueryDataRequest, QueryDataResponse>('QueryData', async (req) => {
        const res = await queryData(req, this.instances, this.opts.query);
        for (const r of Object.values(res.responses)) {
          this.counters.queries += 1;
          if (r.error) this.counters.queryErrors += 1;
        }
        return res;
      }),
    });
    this.server.addService(s.diagnostics, {
      CheckHealth: unary<CheckHealthRequest, CheckHealthResponse>('CheckHealth', (req) =>
        checkHealth(req, this.instances)
      ),
      CollectMetrics: unary<CollectMetricsRequest, CollectMetricsResponse>('CollectMetrics', () => ({
        metrics: { prometheus: Buffer.from(collectMetrics(this.instances, this.streams, this.counters)) },
      })),
    });
    const callResourceHandler: handleServerStreamingCall<CallResourceRequest, CallResourceResponse> = (
      call
    ) => {
      callResource(call.request, this.instances).then(
        (res) => {
          call.write(res);
          call.end();
        },
        (err: unknown) => endWithStatus(call, status.INTERNAL, errorMessage(err))
      );
    };
    this.server.addService(s.resource, { CallResource: callResourceHandler });

    const runStream: handleServerStreamingCall<RunStreamRequest, StreamPacket> = (call) => {
      let closed = false;
      const closers: Array<() => void> = [];
      const close = () => {
        if (closed) return;
        closed = true;
        for (const fn of closers) fn();
      };
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
      this.streams
        .run(call.request, {
          send: (p) => {
            if (!closed) call.write(p);
          },
          onClose: (fn) => {
            if (closed) fn();
            else closers.push(fn);
          },
        })
        .catch((err: unknown) => {
          const code =
            err instanceof StreamRefused
              ? err.code === 'PERMISSION_DENIED'
                ? status.PERMISSION_DENIED
                : err.code === 'RESOURCE_EXHAUSTED'
                  ? status.RESOURCE_EXHAUSTED
                  : status.NOT_FOUND
              : status.INTERNAL;
          endWithStatus(call, code, errorMessage(err));
        });
    };
    this.server.addService(s.stream, {
      SubscribeStream: unary<SubscribeStreamRequest, SubscribeStreamResponse>('SubscribeStream', (req) =>
        this.streams.subscribe(req)
      ),
      RunStream: runStream,
      PublishStream: unary<PublishStreamRequest, PublishStreamResponse>('PublishStream', () =>
        this.streams.publish()
      ),
    });

    // go-plugin's own services.
    this.server.addService(s.health, {
      Check: unary<{ service: string }, { status: string }>('Health', () => ({ status: 'SERVING' })),
    });
    this.server.addService(s.controller, {
      Shutdown: unary<object, object>('Shutdown', () => {
        setImmediate(() => this.opts.onShutdown?.());
        return {};
      }),
    });
    // The broker is only used by plugins that dial back into the host; keep the stream open until the host ends it.
    const broker: handleBidiStreamingCall<object, object> = (call) => {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    };
    this.server.addService(s.broker, { StartStream: broker });
    // Logs go to stderr (hclog JSON), which the host reads; the stdio stream stays open and empty.
    const stdio: handleServerStreamingCall<object, object> = (call) => {
      call.on('cancelled', () => call.end());
    };
    this.server.addService(s.stdio, { StreamStdio: stdio });
  }

  /** Binds 127.0.0.1 on the first free port of `ports` (any port when empty); returns the port. */
  async listen(ports: number[] = []): Promise<number> {
    const candidates = ports.length ? ports : [0];
    let last: unknown;
    for (const p of candidates) {
      try {
        return await new Promise<number>((resolve, reject) =>
          this.server.bindAsync(`127.0.0.1:${p}`, ServerCredentials.createInsecure(), (err, port) =>
            err ? reject(err) : resolve(port)
          )
        );
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no port to listen on: ${errorMessage(last)}`);
  }

  async close(): Promise<void> {
    this.streams.dispose();
    this.instances.dispose();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
