import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from '../zod';

/** The one registry: every route's schemas land here and become `/api/v1/openapi.json`. */
export const registry = new OpenAPIRegistry();
registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });

export const Problem = registry.register('Problem', z.object({
  type: z.string(), title: z.string(), status: z.number().int(), code: z.string(), detail: z.string(),
  errors: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).optional(),
}).openapi({ description: 'RFC 9457 problem details' }));

let cached: object | null = null;
export function openApiDocument(): object {
  if (!cached) {
    cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: { title: 'Grievance closed-loop service (个体工商户诉求闭环)', version: '1.0.0', description: 'See DESIGN §13; problem+json errors; instants are ISO 8601 UTC.' },
      servers: [{ url: '/' }],
    });
  }
  return cached;
}
export { z };
