import { describe, expect, it } from 'vitest';
import { answerTokenRequest } from './tokenRoute.js';
import { apiKeyId, verifyInspectToken } from './token.js';

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

  it('tokens name the API key that minted them (keyed id, never the key), for the per-key session cap', async () => {
    const keyId = apiKeyId(SECRET, 'the-org-api-key');
    expect(keyId).toMatch(/^k_[\w-]{12}$/);
    expect(keyId).not.toContain('the-org-api-key');
    expect(apiKeyId(SECRET, 'the-org-api-key')).toBe(keyId);
    expect(apiKeyId(SECRET, 'another-key')).not.toBe(keyId);
    expect(apiKeyId(new Uint8Array(40), 'the-org-api-key')).not.toBe(keyId);
    const a = await answerTokenRequest(SECRET, { ...CONTENT_KEY, keyId }, { scope: 'metadata' });
    if (a.status !== 200) throw new Error(JSON.stringify(a));
    expect(await verifyInspectToken(SECRET, a.body.token)).toMatchObject({ ok: true, value: { keyId } });
    const plain = await answerTokenRequest(SECRET, CONTENT_KEY, { scope: 'metadata' });
    if (plain.status !== 200) throw new Error(JSON.stringify(plain));
    const v = await verifyInspectToken(SECRET, plain.body.token);
    expect(v.ok && v.value.keyId).toBe(undefined);
  });
});
