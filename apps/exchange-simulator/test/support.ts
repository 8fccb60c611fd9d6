import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XhrApi } from '@ewsjs/xhr';
import { validateXML } from 'xmllint-wasm';
import {
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  ImpersonatedUserId,
  ItemId,
  ServiceError,
  Uri,
  WebCredentials,
} from 'ews-javascript-api';
import { startSimulator, SimulatorConfig, SimulatorHandle } from '../src';

/** ews-javascript-api types `ignoredItemIds` as required; at runtime null means none. */
export const NO_IDS = null as unknown as ItemId[];
/** …and `syncState` as a string; null starts a full sync. */
export const NO_STATE = null as unknown as string;

export const PASSWORD = 'Pa$$w0rd & <co>';

/** A simulator with: alice and bob (own mailboxes), carol (mailbox only), svc (impersonation over all), limited (only bob). */
export async function startTestSimulator(
  config: SimulatorConfig = {},
): Promise<SimulatorHandle & { responses: { op: string; xml: string }[] }> {
  const sim = await startSimulator({
    port: 0,
    host: '127.0.0.1',
    heartbeatMs: 200,
    streamingMinuteMs: 1500,
    ...config,
  });
  const responses: { op: string; xml: string }[] = [];
  sim.server.tap = (op, xml) => responses.push({ op, xml });
  const a = sim.admin;
  for (const u of ['alice', 'bob', 'svc', 'limited', 'nomailbox'])
    a.createAccount({ userName: u, password: PASSWORD, domain: 'CONTOSO' });
  a.createMailbox({ smtpAddress: 'alice@contoso.com', displayName: 'Alice Anders', ownerUserName: 'alice' });
  a.createMailbox({ smtpAddress: 'bob@contoso.com', displayName: 'Bob Berg', ownerUserName: 'bob' });
  a.createMailbox({ smtpAddress: 'carol@contoso.com', displayName: 'Carol Chen' });
  a.grantImpersonation({ userName: 'svc', mailboxes: 'all' });
  a.grantImpersonation({ userName: 'limited', mailboxes: ['bob@contoso.com'] });
  return Object.assign(sim, { responses });
}

export interface ClientOptions {
  auth?: 'basic' | 'ntlm';
  user?: string;
  password?: string;
  impersonate?: string;
  impersonateBy?: 'SmtpAddress' | 'PrincipalName' | 'SID';
  timeout?: number;
}

export function client(sim: SimulatorHandle, o: ClientOptions = {}): ExchangeService {
  const svc = new ExchangeService(ExchangeVersion.Exchange2013_SP1);
  const user = o.user ?? 'alice';
  const pw = o.password ?? PASSWORD;
  if (o.auth === 'ntlm') {
    svc.XHRApi = new XhrApi({ timeout: o.timeout ?? 15000 }).useNtlmAuthentication(`CONTOSO\\${user}`, pw);
    svc.Credentials = new WebCredentials(`CONTOSO\\${user}`, pw);
  } else {
    svc.XHRApi = new XhrApi({ timeout: o.timeout ?? 15000 });
    svc.Credentials = new WebCredentials(user, pw);
  }
  svc.Url = new Uri(sim.ewsUrl);
  if (o.impersonate) {
    const by = o.impersonateBy ?? 'SmtpAddress';
    const type =
      by === 'SmtpAddress'
        ? ConnectingIdType.SmtpAddress
        : by === 'PrincipalName'
          ? ConnectingIdType.PrincipalName
          : ConnectingIdType.SID;
    svc.ImpersonatedUserId = new ImpersonatedUserId(type, o.impersonate);
    svc.HttpHeaders.Add('X-AnchorMailbox', o.impersonate);
  }
  return svc;
}

const SCHEMA_DIR = join(__dirname, '..', 'schema');
let schemaFiles:
  | { schema: { fileName: string; contents: string }; preload: { fileName: string; contents: string }[] }
  | undefined;
function schema(): NonNullable<typeof schemaFiles> {
  schemaFiles ??= {
    schema: { fileName: 'messages.xsd', contents: readFileSync(join(SCHEMA_DIR, 'messages.xsd'), 'utf8') },
    preload: ['types.xsd', 'xml.xsd'].map((f) => ({
      fileName: f,
      contents: readFileSync(join(SCHEMA_DIR, f), 'utf8'),
    })),
  };
  return schemaFiles;
}

/** The SOAP body's single child element, as a standalone document (what the XSD describes). */
export function bodyElement(envelopeXml: string): string | undefined {
  const m = /<(s|soap11):Body[^>]*>([\s\S]*)<\/\1:Body>/.exec(envelopeXml);
  return m?.[2];
}

/**
 * Validate EWS response bodies against Microsoft's messages.xsd with libxml2 (xmllint-wasm), in one batch
 * (compiling the schema costs ~1 s, validating each document is cheap). Faults are SOAP-level and skipped.
 */
export async function validateBodies(
  xmls: string[],
): Promise<{ valid: boolean; errors: string[]; count: number }> {
  const docs = xmls
    .map(bodyElement)
    .filter((b): b is string => !!b && !b.startsWith('<s:Fault') && !b.includes('Autodiscover'))
    .map((contents, i) => ({ fileName: `r${i}.xml`, contents }));
  if (!docs.length) return { valid: true, errors: [], count: 0 };
  const s = schema();
  const r = await validateXML({
    xml: docs,
    schema: s.schema,
    preload: s.preload,
    initialMemoryPages: 4096,
    maxMemoryPages: 65536,
  });
  return { valid: r.valid, errors: r.errors.map((e) => `${e.rawMessage}`).slice(0, 20), count: docs.length };
}

/** Validate request bodies (like the ones clients send) against the schema. */
export async function validateRequestBodies(xmls: string[]): Promise<{ valid: boolean; errors: string[] }> {
  const r = await validateBodies(
    xmls.map((x) => x.replace(/<soap:Body>/, '<s:Body>').replace(/<\/soap:Body>/, '</s:Body>')),
  );
  return r;
}

/** The EWS error code of a rejection from ews-javascript-api (SOAP fault or per-message error). */
export async function ewsErrorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const x = e as {
      faultCode?: string;
      response?: { errorCode?: number };
      ErrorCode?: number;
      HttpStatusCode?: number;
      message?: string;
    };
    if (x.faultCode) return x.faultCode.replace(/^a:/, '');
    if (x.HttpStatusCode && x.HttpStatusCode !== 200 && x.HttpStatusCode !== 500)
      return `HTTP${x.HttpStatusCode}`;
    const n = x.response?.errorCode ?? x.ErrorCode;
    if (typeof n === 'number' && n !== 0) return ServiceError[n] ?? String(n);
    return `unknown: ${x.message ?? String(e)}`;
  }
  return 'NoError';
}
