import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

/**
 * zod with the `.openapi()` metadata method, for every layer: the field rules in
 * `schemas.ts` carry their OpenAPI descriptions, and `http/openapi.ts` turns them into the
 * document. The extension only adds metadata; nothing here knows about HTTP.
 */
extendZodWithOpenApi(z);
export { z };
