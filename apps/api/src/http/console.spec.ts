import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { installConsole } from './console';

@Controller()
class ApiStandIn {
  @Get('api/v1/ping')
  ping() {
    return { pong: true };
  }

  @Get('health/live')
  live() {
    return { status: 'live' };
  }
}

@Module({ controllers: [ApiStandIn] })
class StandInModule {}

describe('the API serves the admin console at / (issue #13)', () => {
  let dir: string;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ssync-console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dir, 'assets', 'index-3f9a1c.js'), 'console.log(1)');
    app = await NestFactory.create(StandInModule, { logger: false });
    expect(installConsole(app, dir)).toBe(true);
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / and any route of the app with index.html, revalidated on every load', async () => {
    for (const route of ['/', '/profiles', '/profiles/3f2a/edit', '/settings/email?x=1']) {
      const res = await http().get(route).expect(200);
      expect([route, res.text, res.headers['cache-control']]).toEqual([
        route,
        '<!doctype html><title>console</title>',
        'no-cache',
      ]);
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  it('caches hashed assets for good', async () => {
    const res = await http().get('/assets/index-3f9a1c.js').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 for a file that does not exist, not the app', async () => {
    await http().get('/assets/index-000000.js').expect(404);
    await http().get('/favicon.ico').expect(404);
  });

  it('leaves /api, /health and /metrics to the API', async () => {
    expect((await http().get('/api/v1/ping').expect(200)).body).toEqual({ pong: true });
    expect((await http().get('/health/live').expect(200)).body).toEqual({ status: 'live' });
    for (const route of ['/api/v1/nothing', '/api', '/metrics'])
      expect([route, (await http().get(route)).status]).toEqual([route, 404]);
  });

  it('serves nothing from a directory without a build', async () => {
    const other = await NestFactory.create(StandInModule, { logger: false });
    expect(installConsole(other, path.join(dir, 'missing'))).toBe(false);
    await other.close();
  });
});
