import { Controller, Get, INestApplication, Module, Post } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { StoreReadinessSource, storesReport } from '@ssync/messaging';
import { AlertOwnerService } from '../alerts/alert-owner.service';
import { ApiExceptionFilter } from '../http/errors';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { ApiReadiness } from './api-readiness.service';
import { CATCH_UP_WAIT_MS, CaughtUpInterceptor } from './caught-up.interceptor';

/** A store that catches up when told to. */
class FakeStore implements StoreReadinessSource {
  constructor(public lag: number) {}
  caughtUpToStart() {
    return this.lag === 0;
  }
  startLag() {
    return this.lag;
  }
  problems() {
    return { undecodable: 0, gaps: 0, recent: [] };
  }
}

const stores = () => ({
  profile: new FakeStore(0),
  organization: new FakeStore(0),
  job: new FakeStore(0),
  alert: new FakeStore(0),
  directory: new FakeStore(20000),
});

function readinessOf(s: ReturnType<typeof stores>): ApiReadiness {
  return new ApiReadiness(
    {
      profileStore: s.profile,
      organizationStore: s.organization,
      jobStore: s.job,
    } as unknown as AggregateOwnerService,
    { store: s.alert } as unknown as AlertOwnerService,
    s.directory as unknown as MailboxDirectory,
  );
}

describe('ApiReadiness', () => {
  it('is caught up only when every store is, and stays so', () => {
    const s = stores();
    const readiness = readinessOf(s);
    expect(readiness.caughtUp()).toBe(false);
    expect(readiness.report().reasons).toEqual([
      'mailboxDirectory: 20000 record(s) behind the log as it was at start',
    ]);
    s.directory.lag = 0;
    expect(readiness.caughtUp()).toBe(true);
    s.profile.lag = 5;
    expect(readiness.caughtUp()).toBe(true);
  });

  it('waits for the stores to catch up, but not longer than it is told', async () => {
    const s = stores();
    const readiness = readinessOf(s);
    expect(await readiness.waitUntilCaughtUp(30, 5)).toBe(false);
    setTimeout(() => (s.directory.lag = 0), 20);
    expect(await readiness.waitUntilCaughtUp(5000, 5)).toBe(true);
  });
});

/** Stands for ApiReadiness: `behind` stores, and whether the wait would see them catch up. */
class FakeReadiness {
  behind: Record<string, number> = {};
  catchesUpWhileWaiting = false;
  waited: number[] = [];
  caughtUp() {
    return Object.keys(this.behind).length === 0;
  }
  waitUntilCaughtUp(ms: number): Promise<boolean> {
    this.waited.push(ms);
    if (this.catchesUpWhileWaiting) this.behind = {};
    return Promise.resolve(this.caughtUp());
  }
  report() {
    return storesReport(
      Object.fromEntries(Object.entries(this.behind).map(([name, lag]) => [name, new FakeStore(lag)])),
    );
  }
}

@Controller('api/v1/mailboxes')
class MailboxesController {
  @Get()
  list() {
    return { items: [{ id: 'm1' }], nextCursor: null };
  }

  @Post()
  provision() {
    return { id: 'm2' };
  }
}

@Controller('health')
class HealthController {
  @Get('live')
  live() {
    return { status: 'ok' };
  }
}

describe('CaughtUpInterceptor: never a partial answer', () => {
  let app: INestApplication;
  const readiness = new FakeReadiness();

  @Module({
    controllers: [MailboxesController, HealthController],
    providers: [
      { provide: ApiReadiness, useValue: readiness },
      { provide: APP_INTERCEPTOR, useClass: CaughtUpInterceptor },
      { provide: APP_FILTER, useClass: ApiExceptionFilter },
    ],
  })
  class TestModule {}

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(() => app.close());

  beforeEach(() => {
    readiness.behind = {};
    readiness.catchesUpWhileWaiting = false;
    readiness.waited = [];
  });

  it('answers at once when the process has caught up', async () => {
    await request(app.getHttpServer())
      .get('/api/v1/mailboxes')
      .expect(200, { items: [{ id: 'm1' }], nextCursor: null });
    expect(readiness.waited).toEqual([]);
  });

  it('a request that arrives while the process catches up waits, then gets the whole answer', async () => {
    readiness.behind = { mailboxDirectory: 500 };
    readiness.catchesUpWhileWaiting = true;
    await request(app.getHttpServer()).get('/api/v1/mailboxes').expect(200);
    expect(readiness.waited).toEqual([CATCH_UP_WAIT_MS]);
  });

  it('still behind after the wait: 503 with Retry-After, naming what is behind', async () => {
    readiness.behind = { mailboxDirectory: 12345 };
    const res = await request(app.getHttpServer()).get('/api/v1/mailboxes').expect(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message:
        'this API process is still reading the event log (mailboxDirectory); its answer would be incomplete',
      retryAfterSeconds: 1,
      behind: { mailboxDirectory: 12345 },
    });
  });

  it('writes wait too: a command checked against a half-read state could be refused wrongly', async () => {
    readiness.behind = { profiles: 3 };
    await request(app.getHttpServer()).post('/api/v1/mailboxes').send({}).expect(503);
  });

  it('health endpoints are not held back', async () => {
    readiness.behind = { mailboxDirectory: 1 };
    await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(readiness.waited).toEqual([]);
  });
});
