import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Request } from 'express';
import { Observable, from, switchMap } from 'rxjs';
import { ServiceUnavailable } from '../http/errors';
import { ApiReadiness } from './api-readiness.service';

/** How long a request waits for a starting process to catch up before it is told to come back. */
export const CATCH_UP_WAIT_MS = 2000;
export const CATCH_UP_RETRY_AFTER_S = 1;

const API_PATH = /^\/api\/v1(\/|$)/;

/**
 * Never a partial answer (issue #9): until every in-memory store of this process has read the log as it was
 * when the process started, a request under /api/v1 waits briefly, then gets 503 with Retry-After. Runs after
 * the guards, so a caller without a token or a privilege still learns that first.
 */
@Injectable()
export class CaughtUpInterceptor implements NestInterceptor {
  constructor(private readonly readiness: ApiReadiness) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const path = context.switchToHttp().getRequest<Request>().path;
    if (!API_PATH.test(path) || this.readiness.caughtUp()) return next.handle();
    return from(this.readiness.waitUntilCaughtUp(CATCH_UP_WAIT_MS)).pipe(
      switchMap((caughtUp) => {
        if (caughtUp) return next.handle();
        const behind = Object.fromEntries(
          Object.entries(this.readiness.report().stores)
            .filter(([, s]) => !s.caughtUpToStart)
            .map(([name, s]) => [name, s.startLag]),
        );
        throw new ServiceUnavailable(
          `this API process is still reading the event log (${Object.keys(behind).join(', ')}); its answer would be incomplete`,
          CATCH_UP_RETRY_AFTER_S,
          { behind },
        );
      }),
    );
  }
}
