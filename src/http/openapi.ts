import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from '../zod';

/** The one registry: every route's schemas land here and become `/api/v1/openapi.json`. */
export const registry = new OpenAPIRegistry();
registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });

export const Problem = registry.register(
  'Problem',
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      code: z.string(),
      detail: z.string(),
      errors: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).optional(),
      retryAfter: z.number().int().optional().openapi({ description: 'seconds to wait before trying again (also the Retry-After header)' }),
      outcome: z
        .enum(['unknown'])
        .optional()
        .openapi({ description: '503 `database-unavailable` only: the database stopped answering during the COMMIT, so the change may have been saved; send it again with the same Idempotency-Key' }),
    })
    .openapi({ description: 'RFC 9457 problem details' }),
);

/** OpenAPI paths served only with `TEST_CLOCK=1`: left out of the document otherwise. */
const testingPaths = new Set<string>();
/** Marks an OpenAPI path (`/api/v1/…`) as existing only with `TEST_CLOCK=1`. */
export function markTestingPath(path: string): void {
  testingPaths.add(path);
  cached.clear();
}

const cached = new Map<boolean, object>();
/**
 * The OpenAPI 3.1 document of `/api/v1/openapi.json`. The registry is shared by every app
 * of the process (tests build several), so routes that exist only with `TEST_CLOCK=1` are
 * filtered here by the serving app's configuration rather than by registration alone.
 */
export function openApiDocument(opts: { testClock: boolean } = { testClock: false }): object {
  let doc = cached.get(opts.testClock);
  if (!doc) {
    const definitions = registry.definitions.filter((d) => opts.testClock || d.type !== 'route' || !testingPaths.has(d.route.path));
    doc = new OpenApiGeneratorV31(definitions).generateDocument({
      openapi: '3.1.0',
      info: { title: 'Grievance closed-loop service (个体工商户诉求闭环)', version: '1.0.0', description: 'See DESIGN §13; problem+json errors; instants are ISO 8601 UTC.' },
      servers: [{ url: '/' }],
    });
    cached.set(opts.testClock, doc);
  }
  return doc;
}
export { z };
