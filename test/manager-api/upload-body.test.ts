import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import parseJson from 'secure-json-parse';
import { readUploadBody } from '../../src/manager-api/ingest/upload-body.js';
import { ApiProblem } from '../../src/manager-api/errors.js';
import { formatSchemaError } from '../../src/manager-api/validation.js';
import { NAME_MAX, uploadRequestSchema } from '../../src/share/api/index.js';

// What the route did before the body moved to the ingest thread: the parser's guards on every body,
// then the schema with lengths counted in characters.
const ajv = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, addUsedSchema: false, coerceTypes: false });
ajvFormats.default(ajv);
const reference = ajv.compile(uploadRequestSchema);
function referenceAnswer(body: Buffer): unknown {
  if (body.length === 0) return { code: 'FST_ERR_CTP_EMPTY_JSON_BODY' };
  let data: unknown;
  try {
    data = parseJson(body, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return { code: 'FST_ERR_CTP_INVALID_JSON_BODY' };
  }
  return reference(data) ? { items: data } : { code: 'INVALID_REQUEST', message: formatSchemaError(reference.errors ?? [], 'body').message };
}
function answer(body: Buffer): unknown {
  try {
    return { items: readUploadBody(body) };
  } catch (err) {
    assert.ok(err instanceof ApiProblem, String(err));
    assert.equal(err.statusCode, 400);
    return err.code === 'INVALID_REQUEST' ? { code: err.code, message: err.message } : { code: err.code };
  }
}

const item = (o: Record<string, unknown> = {}) => ({ leaf_input: 'AAAA', ct_log_url: 'https://ct.example/', log_name: 'argon', friend_name: 'alice', index: 1, lease_id: 2, ...o });
const emoji = '\u{1F600}';

test('the upload body is answered in the ingest thread exactly as the route answered it', () => {
  const bodies: [string, string][] = [
    ['good', JSON.stringify([item(), item({ index: 2 })])],
    ['BOM', `\ufeff${JSON.stringify([item()])}`],
    ['empty', ''],
    ['not JSON', '[{"leaf_input":'],
    ['not an array', JSON.stringify({ items: [item()] })],
    ['__proto__ key', JSON.stringify([item()]).replace('{', '{"__proto__":{"x":1},')],
    ['escaped __proto__ key', JSON.stringify([item()]).replace('{', '{"\\u005f_proto__":{"x":1},')],
    ['constructor.prototype', JSON.stringify([item()]).replace('{', '{"constructor":{"prototype":{"x":1}},')],
    ['constructor as a value', JSON.stringify([item({ friend_name: 'constructor' })])],
    ['unknown field', JSON.stringify([item({ extra: 1 })])],
    ['mistyped', JSON.stringify([item({ index: '1' })])],
    // Names at and past the limit, counted in characters: raw UTF-8, \u escapes, astral characters.
    ['64 ASCII', JSON.stringify([item({ friend_name: 'x'.repeat(NAME_MAX) })])],
    ['65 ASCII', JSON.stringify([item({ friend_name: 'x'.repeat(NAME_MAX + 1) })])],
    ['64 emoji raw', JSON.stringify([item({ friend_name: emoji.repeat(NAME_MAX) })])],
    ['65 emoji raw', JSON.stringify([item({ friend_name: emoji.repeat(NAME_MAX + 1) })])],
    ['64 emoji escaped', JSON.stringify([item({ friend_name: 'EMOJI' })]).replace('EMOJI', '\\ud83d\\ude00'.repeat(NAME_MAX))],
    ['65 emoji escaped', JSON.stringify([item({ friend_name: 'EMOJI' })]).replace('EMOJI', '\\ud83d\\ude00'.repeat(NAME_MAX + 1))],
    ['40 emoji escaped', JSON.stringify([item({ friend_name: 'EMOJI' })]).replace('EMOJI', '\\ud83d\\ude00'.repeat(40))],
    ['kana', JSON.stringify([item({ friend_name: 'ともだち'.repeat(16) })])],
    ['kana too long', JSON.stringify([item({ friend_name: 'ともだち'.repeat(17) })])],
    ['short leaf', JSON.stringify([item({ leaf_input: 'AAA' })])],
  ];
  for (const [what, text] of bodies) {
    const body = Buffer.from(text);
    assert.deepEqual(answer(body), referenceAnswer(body), what);
  }
  // The cases above reach every kind of answer.
  const kinds = new Set(bodies.map(([, t]) => JSON.stringify(Object.keys(answer(Buffer.from(t)) as object))));
  assert.ok(kinds.size >= 3);
  assert.equal((answer(Buffer.from(bodies[13][1])) as { items?: unknown }).items !== undefined, true, '64 emoji fit');
  assert.equal((answer(Buffer.from(bodies[14][1])) as { code?: string }).code, 'INVALID_REQUEST', '65 emoji do not');
});
