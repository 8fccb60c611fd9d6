import { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';

/**
 * JSON bodies, parsed by us so that a parse error never echoes the body back (V8's messages quote the input,
 * which may hold a password) and never becomes an HTML error page.
 */
export function installJsonBodyParser(app: INestApplication): void {
  app.use(express.json({ limit: '2mb', strict: true }));
  app.use(
    (
      error: { type?: string; status?: number; body?: unknown } | undefined,
      _req: Request,
      res: Response,
      next: NextFunction,
    ) => {
      if (!error) return next();
      if (error.type === 'entity.too.large') {
        res.status(413).json({
          statusCode: 413,
          error: 'Payload Too Large',
          message: 'body: must be at most 2 MB',
          violations: [{ field: 'body', rule: 'maxSize', message: 'must be at most 2 MB' }],
        });
        return;
      }
      const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 400;
      const message = parsesAsJson(error) ? 'must be a JSON object' : 'must be valid JSON';
      res.status(status).json({
        statusCode: status,
        error: 'Bad Request',
        message: `body: ${message}`,
        violations: [{ field: 'body', rule: 'json', message }],
      });
    },
  );
}

/** Strict parsing refuses a bare value (`0`, `"x"`, `null`) that is valid JSON: say what is wrong with it. */
function parsesAsJson(error: { body?: unknown }): boolean {
  if (typeof error.body !== 'string') return false;
  try {
    JSON.parse(error.body);
    return true;
  } catch {
    return false;
  }
}
