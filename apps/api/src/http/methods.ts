import { INestApplication } from '@nestjs/common';
import { OpenAPIObject } from '@nestjs/swagger';
import { NextFunction, Request, Response } from 'express';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** The documented paths as patterns, each with the methods it answers (HEAD with GET; OPTIONS always passes). */
export function allowedMethods(document: OpenAPIObject): (path: string) => string[] | null {
  const routes = Object.entries(document.paths).map(([template, item]) => ({
    pattern: new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}/?$`,
    ),
    methods: METHODS.filter((m) => item[m]).map((m) => m.toUpperCase()),
  }));
  return (path) => {
    const matched = routes.filter((r) => r.pattern.test(path));
    if (matched.length === 0) return null;
    const methods = new Set(matched.flatMap((r) => r.methods));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods, 'OPTIONS'];
  };
}

/**
 * A documented path asked with a method it does not have (TRACE, DELETE…) answers 405 with `Allow`, not the 404 of
 * a path that does not exist (RFC 9110 §15.5.6).
 */
export function installMethodNotAllowed(app: INestApplication, document: OpenAPIObject): void {
  const allowed = allowedMethods(document);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const methods = allowed(req.path);
    if (!methods || methods.includes(req.method)) return next();
    res.setHeader('Allow', methods.join(', '));
    res.status(405).json({
      statusCode: 405,
      error: 'Method Not Allowed',
      message: `${req.method} is not a method of ${req.path}; it allows ${methods.join(', ')}`,
    });
  });
}
