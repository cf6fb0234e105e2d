import test from 'ava';
import { startHarness } from '../helpers/harness';

// The OpenAPI document is the contract (DESIGN §11, §13): it must be a valid OpenAPI 3.1
// document and describe the ticket responses, not only the errors.
test('the OpenAPI document is valid and describes tickets', async (t) => {
  const h = await startHarness();
  try {
    const r = await h.http.get('/api/v1/openapi.json');
    t.is(r.status, 200);
    t.is(r.body.openapi, '3.1.0');
    // ESM-only validator, loaded from this CommonJS build with a dynamic import
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(r.body);
    t.true(result.valid, String(JSON.stringify(result.errors)).slice(0, 800));
    const create = r.body.paths['/api/v1/tickets'].post;
    t.is(create.responses['201'].content['application/json'].schema.$ref, '#/components/schemas/Ticket');
    t.truthy(create.requestBody.content['application/json'].schema);
    t.truthy(r.body.components.schemas.Ticket.properties.deadlines);
    t.truthy(r.body.paths['/api/v1/tickets/{id}/sign'].post.responses['200'].content['application/json']);
    // every ticket action is in the document
    for (const a of [
      'dispatch',
      'sign',
      'return',
      'request-info',
      'supplement',
      'request-extension',
      'decide-extension',
      'reply',
      'rate',
      'reject',
      'withdraw',
      'merge',
      'reopen',
      'close',
      'note',
      'escalate',
      'conclude',
      'decide',
    ]) {
      t.truthy(r.body.paths[`/api/v1/tickets/{id}/${a}`]?.post, a);
    }
  } finally {
    await h.close();
  }
});
