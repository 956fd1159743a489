import { describe, expect, it } from 'vitest';
import { answerTokenRequest } from './tokenRoute.js';
import { verifyInspectToken } from './token.js';

const SECRET = new Uint8Array(Buffer.from('token-route-test-secret-0123456789abcdef'));
const CONTENT_KEY = { org: 'acme', scope: 'content' as const };
const METADATA_KEY = { org: 'acme', scope: 'metadata' as const };

describe('answerTokenRequest', () => {
  it('401 without an org API key', async () => {
    const a = await answerTokenRequest(SECRET, null, { scope: 'metadata' });
    expect(a.status).toBe(401);
  });

  it('mints a token of the key org and the asked scope, verifiable with the same secret', async () => {
    const a = await answerTokenRequest(SECRET, CONTENT_KEY, { scope: 'content', ttlSeconds: 60 });
    expect(a.status).toBe(200);
    if (a.status !== 200) return;
    const v = await verifyInspectToken(SECRET, a.body.token);
    expect(v).toMatchObject({ ok: true, value: { org: 'acme', scope: 'content' } });
    const other = await verifyInspectToken(new Uint8Array(40), a.body.token);
    expect(other.ok).toBe(false);
  });

  it('403 when the key may not mint the scope; path scopes; contradictions and bad bodies are 400', async () => {
    expect((await answerTokenRequest(SECRET, METADATA_KEY, { scope: 'content' })).status).toBe(403);
    expect((await answerTokenRequest(SECRET, METADATA_KEY, undefined, 'content')).status).toBe(403);
    expect((await answerTokenRequest(SECRET, METADATA_KEY, undefined, 'metadata')).status).toBe(200);
    const contra = await answerTokenRequest(SECRET, CONTENT_KEY, { scope: 'metadata' }, 'content');
    expect(contra).toMatchObject({ status: 400, body: { error: expect.stringContaining('contradicts') } });
    expect((await answerTokenRequest(SECRET, CONTENT_KEY, { scope: 'root' })).status).toBe(400);
    expect((await answerTokenRequest(SECRET, CONTENT_KEY, 'text')).status).toBe(400);
    expect((await answerTokenRequest(SECRET, CONTENT_KEY, { ttlSeconds: -1 }, 'content')).status).toBe(400);
  });
});
