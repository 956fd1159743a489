/**
 * A local OTLP/HTTP receiver that accepts and counts what the pod exports
 * (the "everything on" configuration needs a real endpoint, not a dead one
 * whose connection errors would distort the figures). It does not parse
 * protobuf; with the JSON encoding it counts spans.
 */
import http from 'node:http';

export interface OtlpSink {
  endpoint: string;
  stats(): { requests: number; bytes: number; spans: number };
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

export async function startOtlpSink(): Promise<OtlpSink> {
  let requests = 0;
  let bytes = 0;
  let spans = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      requests++;
      bytes += size;
      if ((req.headers['content-type'] ?? '').includes('json') && size <= MAX_BODY) {
        // Count "spanId" keys: cheap and good enough for a tally.
        const text = Buffer.concat(chunks).toString('utf8');
        spans += (text.match(/"spanId"/g) ?? []).length;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    req.on('error', () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ requests, bytes, spans }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
