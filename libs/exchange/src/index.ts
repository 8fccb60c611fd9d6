/**
 * @ssync/exchange — the EWS adapter the sync workers call: connections (auth, Autodiscover, impersonation,
 * X-AnchorMailbox, timeouts, P-11 limits), a few operations, and every Exchange error normalized into a few codes
 * with one policy deciding retry / back-off / re-sync / disable. Thin: no retries inside, no Nest, no logging.
 */
export { ExchangeError, EXCHANGE_ERROR_CODES, isExchangeError } from './errors/exchange-error';
export type { ExchangeErrorCode, ExchangeErrorInit } from './errors/exchange-error';
export { normalizeExchangeError, parseRetryAfter, sanitizeMessage } from './errors/normalize';
export type { RejectionContext } from './errors/normalize';
export { classify, errorClass, DEFAULT_RETRY_POLICY } from './errors/policy';
export type { ClassifyContext, Decision, ErrorClass, RetryPolicy } from './errors/policy';

export {
  CallNotStartedError,
  ExchangeClientFactory,
  ExchangeConnection,
  soapAutodiscover,
} from './connection/connection';
export type { ExchangeClientFactoryOptions } from './connection/connection';
export { AuthSchemeProbe, chooseScheme, parseAuthSchemes } from './connection/auth-probe';
export { EXCHANGE_SERVER_VERSIONS } from './connection/types';
export type {
  AuthSpec,
  ConnectionSpec,
  ExchangeServerVersion,
  LocationSpec,
  ServiceIdentity,
  WireScheme,
} from './connection/types';
export { AutodiscoverCache } from './autodiscover/autodiscover-cache';
export type {
  AutodiscoverCacheOptions,
  Discover,
  DiscoveredEndpoint,
} from './autodiscover/autodiscover-cache';
export { InMemoryConnectionLimiter, UNLIMITED, withLimit } from './limiter/connection-limiter';
export type { ConnectionLimiter, Release } from './limiter/connection-limiter';

export {
  testIncoming,
  testOutgoing,
  testAct,
  moveToUndeliverable,
  undeliverableFolderId,
  UNDELIVERABLE_FOLDER,
} from './operations/folders';
export { syncInbox, fetchSince } from './operations/sync';
export type { SyncInboxResult, FetchSinceResult } from './operations/sync';
export { sendMail, findSentByClientId, internetMessageIdFor, CLIENT_MESSAGE_ID } from './operations/send';
export type { SendMailInput, SendMailOptions, SentMessage } from './operations/send';
export { toMessage, getMessages } from './operations/messages';
export type { Address, ItemRef, Message } from './operations/messages';
export { xmlEscape, xmlEscapeAddress, stripInvalidXmlChars } from './xml/escape';
export { specFromProfile, authKindFor } from './profile/spec-from-profile';
export type { ProfileForConnection, SpecFromProfileInput } from './profile/spec-from-profile';
