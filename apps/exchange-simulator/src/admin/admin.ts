import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError } from '../store/store';
import type { SimulatorServer } from '../http/server';
import { FaultRuleInput } from '../http/faults';
import { Body, Item, Mbx } from '../store/model';
import { OPENAPI } from './openapi';
import { generateMessages } from './generate';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body, null, 2));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', buf.length);
  res.end(buf);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error('body must be a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new HttpError(400, `invalid JSON: ${(e as Error).message}`);
  }
}

const str = (b: Record<string, unknown>, k: string, required = true): string | undefined => {
  const v = b[k];
  if (v === undefined || v === null) {
    if (required) throw new HttpError(400, `${k} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new HttpError(400, `${k} must be a string`);
  return v;
};
const strList = (v: unknown, k: string): string[] => {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new HttpError(400, `${k} must be a string or an array of strings`);
  return v as string[];
};

export function itemSummary(it: Item): Record<string, unknown> {
  return {
    id: it.id,
    kind: it.kind,
    folderId: it.folderId,
    subject: it.f.Subject,
    from: (it.f.From as Mbx | undefined)?.email,
    to: ((it.f.ToRecipients as Mbx[] | undefined) ?? []).map((m) => m.email),
    cc: ((it.f.CcRecipients as Mbx[] | undefined) ?? []).map((m) => m.email),
    receivedAt: it.f.DateTimeReceived,
    isRead: it.f.IsRead,
    internetMessageId: it.f.InternetMessageId,
    body: (it.f.Body as Body | undefined)?.text,
    bodyType: (it.f.Body as Body | undefined)?.type,
    extendedProperties: it.ext,
  };
}

/** Admin REST API at /admin/v1: accounts, mailboxes, grants, message delivery, faults, metrics. JSON in and out. */
export async function handleAdmin(
  sim: SimulatorServer,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  try {
    const path = url.pathname.replace(/\/+$/, '');
    if (!path.startsWith('/admin/v1')) throw new HttpError(404, 'not found');
    const parts = path.slice('/admin/v1'.length).split('/').filter(Boolean).map(decodeURIComponent);
    const m = req.method ?? 'GET';
    const store = sim.store;
    const route = `${m} /${parts.map((p, i) => (i % 2 === 1 && parts[0] === 'mailboxes' ? ':x' : p)).join('/')}`;

    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- routing table on `true`
    switch (true) {
      case m === 'GET' && parts.length === 0:
      case m === 'GET' && parts[0] === 'openapi.json':
        return json(res, 200, OPENAPI);
      case m === 'GET' && parts[0] === 'health':
        return json(res, 200, { status: 'ok', ewsUrl: sim.ewsUrl });

      case m === 'POST' && path.endsWith('/accounts') && parts.length === 1: {
        const b = await readJson(req);
        const acc = store.createAccount({
          userName: str(b, 'userName') ?? '',
          password: str(b, 'password') ?? '',
          domain: str(b, 'domain', false) ?? sim.opts.domain,
          ...(typeof b.upn === 'string' ? { upn: b.upn } : {}),
        });
        return json(res, 201, { userName: acc.userName, domain: acc.domain, upn: acc.upn, sid: acc.sid });
      }
      case m === 'GET' && parts[0] === 'accounts' && parts.length === 1:
        return json(
          res,
          200,
          [...store.accounts.values()].map((a) => ({
            userName: a.userName,
            domain: a.domain,
            upn: a.upn,
            sid: a.sid,
          })),
        );

      case m === 'POST' && parts[0] === 'mailboxes' && parts.length === 1: {
        const b = await readJson(req);
        const mbx = store.createMailbox({
          smtpAddress: str(b, 'smtpAddress') ?? '',
          ...(typeof b.displayName === 'string' ? { displayName: b.displayName } : {}),
          ...(typeof b.ownerUserName === 'string' ? { ownerUserName: b.ownerUserName } : {}),
        });
        return json(res, 201, {
          smtpAddress: mbx.smtp,
          displayName: mbx.displayName,
          ownerUserName: mbx.owner ?? null,
          sid: mbx.sid,
        });
      }
      case m === 'GET' && parts[0] === 'mailboxes' && parts.length === 1: {
        const limit = Number(url.searchParams.get('limit') ?? 1000);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const all = [...store.mailboxes.values()];
        return json(res, 200, {
          total: all.length,
          mailboxes: all.slice(offset, offset + limit).map((x) => ({
            smtpAddress: x.smtp,
            displayName: x.displayName,
            ownerUserName: x.owner ?? null,
          })),
        });
      }

      case m === 'POST' && parts[0] === 'impersonation-grants' && parts.length === 1: {
        const b = await readJson(req);
        const userName = str(b, 'userName') ?? '';
        const mbs = b.mailboxes === 'all' ? 'all' : strList(b.mailboxes, 'mailboxes');
        const g = store.grantImpersonation(userName, mbs);
        return json(res, 201, { userName, mailboxes: g.all ? 'all' : [...g.mailboxes] });
      }
      case m === 'GET' && parts[0] === 'impersonation-grants':
        return json(
          res,
          200,
          [...store.grants].map(([u, g]) => ({ userName: u, mailboxes: g.all ? 'all' : [...g.mailboxes] })),
        );
      case m === 'DELETE' && parts[0] === 'impersonation-grants' && parts.length === 2:
        store.revokeImpersonation(parts[1] ?? '');
        return json(res, 200, { revoked: parts[1] });

      case m === 'POST' && parts[0] === 'mailboxes' && parts[2] === 'messages' && parts.length === 3: {
        const smtp = parts[1] ?? '';
        const mbx = store.mailbox(smtp);
        if (!mbx) throw new HttpError(404, `mailbox ${smtp} not found`);
        const b = await readJson(req);
        const to = strList(b.to, 'to');
        const items = store.deliver({
          from: str(b, 'from') ?? '',
          to: to.length ? to : [mbx.smtp],
          cc: strList(b.cc, 'cc'),
          subject: str(b, 'subject', false) ?? '',
          body: str(b, 'body', false) ?? '',
          bodyType: b.bodyType === 'Text' ? 'Text' : 'HTML',
          ...(typeof b.receivedAt === 'string' ? { receivedAt: b.receivedAt } : {}),
          ...(typeof b.internetMessageId === 'string' ? { internetMessageId: b.internetMessageId } : {}),
        });
        // The addressed mailbox always receives it, even if not among To/Cc (like a Bcc).
        if (!items.some((i) => i.mailbox === mbx.key)) {
          items.push(
            ...store.deliver({
              from: str(b, 'from') ?? '',
              to: [mbx.smtp],
              subject: str(b, 'subject', false) ?? '',
              body: str(b, 'body', false) ?? '',
              bodyType: b.bodyType === 'Text' ? 'Text' : 'HTML',
              ...(typeof b.receivedAt === 'string' ? { receivedAt: b.receivedAt } : {}),
              internetMessageId: items[0]?.f.InternetMessageId as string | undefined,
            }),
          );
        }
        return json(res, 201, {
          delivered: items.map((i) => ({
            mailbox: i.mailbox,
            itemId: i.id,
            internetMessageId: i.f.InternetMessageId,
          })),
        });
      }
      case m === 'POST' && parts[0] === 'messages' && parts[1] === 'bulk': {
        const b = await readJson(req);
        return json(res, 201, generateMessages(store, b));
      }
      case m === 'GET' &&
        parts[0] === 'mailboxes' &&
        parts[2] === 'folders' &&
        parts[4] === 'items' &&
        parts.length === 5: {
        const mbx = store.mailbox(parts[1] ?? '');
        if (!mbx) throw new HttpError(404, `mailbox ${parts[1]} not found`);
        const folder = store.folderByName(mbx, parts[3] ?? '');
        if (!folder) throw new HttpError(404, `folder ${parts[3]} not found`);
        const items = [...folder.itemIds].map((id) => store.item(id)).filter((x): x is Item => !!x);
        return json(res, 200, {
          mailbox: mbx.smtp,
          folder: folder.displayName,
          folderId: folder.id,
          total: items.length,
          items: items.map(itemSummary),
        });
      }
      case m === 'GET' && parts[0] === 'mailboxes' && parts[2] === 'folders' && parts.length === 3: {
        const mbx = store.mailbox(parts[1] ?? '');
        if (!mbx) throw new HttpError(404, `mailbox ${parts[1]} not found`);
        return json(
          res,
          200,
          store.foldersOf(mbx.key).map((f) => ({
            id: f.id,
            displayName: f.displayName,
            distinguishedId: f.distinguished ?? null,
            parentId: f.parentId ?? null,
            totalCount: f.itemIds.size,
          })),
        );
      }

      case m === 'GET' && parts[0] === 'faults':
        return json(res, 200, sim.faults.rules);
      case m === 'POST' && parts[0] === 'faults': {
        const b = (await readJson(req)) as unknown as FaultRuleInput;
        try {
          return json(res, 201, sim.faults.add(b));
        } catch (e) {
          throw new HttpError(400, (e as Error).message);
        }
      }
      case m === 'DELETE' && parts[0] === 'faults' && parts.length === 1:
        sim.faults.clear();
        return json(res, 200, { cleared: true });
      case m === 'DELETE' && parts[0] === 'faults' && parts.length === 2:
        if (!sim.faults.remove(parts[1] ?? '')) throw new HttpError(404, 'no such fault');
        return json(res, 200, { removed: parts[1] });

      case m === 'GET' && parts[0] === 'metrics':
        return json(res, 200, sim.metrics.toJSON());
      case m === 'POST' && parts[0] === 'metrics' && parts[1] === 'reset':
        sim.metrics.reset();
        return json(res, 200, { reset: true });

      case m === 'GET' && parts[0] === 'request-log': {
        const since = url.searchParams.get('since');
        const entries = sim.requestLog.entries({
          ...(url.searchParams.get('mailbox') ? { mailbox: url.searchParams.get('mailbox') ?? '' } : {}),
          ...(url.searchParams.get('operation')
            ? { operation: url.searchParams.get('operation') ?? '' }
            : {}),
          ...(since ? { since: Number.isFinite(Number(since)) ? Number(since) : Date.parse(since) } : {}),
        });
        return json(res, 200, {
          capacity: sim.requestLog.capacity,
          recorded: sim.requestLog.total,
          total: entries.length,
          entries,
        });
      }
      case m === 'DELETE' && parts[0] === 'request-log':
        sim.requestLog.clear();
        return json(res, 200, { cleared: true });

      case m === 'GET' && parts[0] === 'throttling':
        return json(res, 200, throttling(sim));
      case m === 'PUT' && parts[0] === 'throttling': {
        const b = await readJson(req);
        if (typeof b.maxConcurrency === 'number') sim.opts.maxConcurrency = b.maxConcurrency;
        if (b.concurrencyError === 'ErrorServerBusy' || b.concurrencyError === 'ErrorExceededConnectionCount')
          sim.opts.concurrencyError = b.concurrencyError;
        if (typeof b.backOffMs === 'number') sim.opts.backOffMs = b.backOffMs;
        if (typeof b.rateLimit === 'number') sim.rate.limit = b.rateLimit;
        if (typeof b.rateWindowMs === 'number') sim.rate.windowMs = b.rateWindowMs;
        return json(res, 200, throttling(sim));
      }

      case m === 'POST' && parts[0] === 'snapshot': {
        const file = await sim.hooks.snapshot?.();
        if (!file) throw new HttpError(409, 'no snapshotPath configured');
        return json(res, 200, { savedTo: file });
      }
      default:
        throw new HttpError(404, `no route ${route}`);
    }
  } catch (e) {
    if (e instanceof HttpError) return json(res, e.status, { error: e.message });
    if (e instanceof StoreError)
      return json(res, e.code === 'Conflict' ? 409 : e.code === 'NotFound' ? 404 : 400, { error: e.message });
    throw e;
  }
}

function throttling(sim: SimulatorServer): Record<string, unknown> {
  return {
    maxConcurrency: sim.opts.maxConcurrency,
    concurrencyError: sim.opts.concurrencyError,
    backOffMs: sim.opts.backOffMs,
    rateLimit: sim.rate.limit,
    rateWindowMs: sim.rate.windowMs,
  };
}
