/** A refusal with an HTTP status and a message naming what was wrong; the app's error handler sends it. */
export class ApiProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiProblem';
  }
}

/** An error reply in a route's response schema: the shared `ctjp.Error` schema (app.ts adds it). */
export const errorReply = { $ref: 'ctjp.Error#' } as const;

export const badRequest = (code: string, message: string): ApiProblem => new ApiProblem(400, code, message);
export const unprocessable = (code: string, message: string): ApiProblem => new ApiProblem(422, code, message);
export const forbidden = (message: string): ApiProblem => new ApiProblem(403, 'FORBIDDEN', message);
export const notFound = (code: string, message: string): ApiProblem => new ApiProblem(404, code, message);
export const conflict = (code: string, message: string, extra: Record<string, unknown> = {}): ApiProblem => new ApiProblem(409, code, message, extra);
