import { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** What the API answers itself; every other path is the console's. */
const API_PATHS = /^\/(api|health|metrics)(\/|$)/;
/** Vite names every file under assets/ by a hash of its content, so a name never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html is revalidated on each load (ETag), so a new build's assets are picked up at once. */
const REVALIDATE = 'no-cache';

// The console loads only its own scripts and styles and talks only to this origin.
const CONSOLE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export const consoleIndex = (dir: string): string => path.join(dir, 'index.html');

/**
 * The admin console (issue #13) at `/`: its built files, and its index.html for any other path that names no file,
 * so a reload on one of its own routes (/profiles/…) works. /api, /health and /metrics never reach it.
 * Returns false, serving nothing, when the directory holds no build.
 */
export function installConsole(app: INestApplication, dir: string): boolean {
  const index = consoleIndex(dir);
  if (!existsSync(index)) return false;
  const assets = path.join(dir, 'assets') + path.sep;
  const files = express.static(dir, {
    index: false,
    redirect: false,
    setHeaders: (res, file) =>
      res.setHeader('Cache-Control', file.startsWith(assets) ? IMMUTABLE : REVALIDATE),
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (API_PATHS.test(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.set(CONSOLE_HEADERS);
    void files(req, res, () => {
      // A missing file is a 404, not the app: a browser would otherwise run HTML as a script.
      if (path.extname(req.path) !== '') return next();
      res.setHeader('Cache-Control', REVALIDATE);
      res.sendFile(index, (error?: Error) => error && next(error));
    });
  });
  return true;
}
