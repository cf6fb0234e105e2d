/**
 * The one error family (STYLE convention 2). `status` maps to HTTP in one place
 * (`http/problem.ts`); `code` is stable and is what tests assert; `errors` name fields.
 */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    public readonly detail: string,
    public readonly errors: FieldError[] = [],
    public readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const unprocessable = (code: string, detail: string, errors: FieldError[] = [], extra: Record<string, unknown> = {}) => new AppError(422, code, detail, errors, extra);
export const fieldError = (field: string, code: string, message: string, status = 422) => new AppError(status, 'validation-failed', `${field}: ${message}`, [{ field, code, message }]);
export const unauthorized = (detail = 'sign in first') => new AppError(401, 'unauthenticated', detail);
export const forbidden = (detail = 'not allowed for your role') => new AppError(403, 'forbidden', detail);
export const notFound = (what = 'resource') => new AppError(404, 'not-found', `${what} not found`);
export const conflict = (code: string, detail: string, extra: Record<string, unknown> = {}) => new AppError(409, code, detail, [], extra);
export const preconditionFailed = (detail: string, extra: Record<string, unknown> = {}) => new AppError(412, 'version-mismatch', detail, [], extra);
