import { esc, NS } from '../xml/xml';

/** Exchange 2016 CU-era build; `Version` names the schema the server speaks. */
export const SERVER_VERSION = {
  major: 15,
  minor: 1,
  majorBuild: 2507,
  minorBuild: 6,
  version: 'V2017_07_11',
};

export const SERVER_VERSION_INFO = `<h:ServerVersionInfo MajorVersion="${SERVER_VERSION.major}" MinorVersion="${SERVER_VERSION.minor}" MajorBuildNumber="${SERVER_VERSION.majorBuild}" MinorBuildNumber="${SERVER_VERSION.minorBuild}" Version="${SERVER_VERSION.version}" xmlns:h="${NS.t}" xmlns="${NS.t}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="${NS.xsi}"/>`;

export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Header>${SERVER_VERSION_INFO}</s:Header><s:Body xmlns:xsi="${NS.xsi}" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${body}</s:Body></s:Envelope>`;
}

/** The operation response wrapper: `<m:OpResponse><m:ResponseMessages>…</m:ResponseMessages></m:OpResponse>`. */
export function opResponse(op: string, messages: string): string {
  return `<m:${op}Response xmlns:m="${NS.m}" xmlns:t="${NS.t}"><m:ResponseMessages>${messages}</m:ResponseMessages></m:${op}Response>`;
}

/** A response whose messages are all the same error (used for throttling and injected errors). */
export function errorResponse(op: string, code: string, text: string, count = 1, messageXml = ''): string {
  return opResponse(
    op,
    Array.from({ length: Math.max(1, count) }, () => errorMessage(op, code, text, messageXml)).join(''),
  );
}

/** Response-message elements whose schema type requires an `<m:Items/>` even on error. */
const NEEDS_ITEMS = new Set(['CreateItem', 'GetItem', 'UpdateItem', 'MoveItem', 'CopyItem', 'SendItem']);

export function successMessage(op: string, inner = '', cls: 'Success' | 'Warning' = 'Success'): string {
  return `<m:${op}ResponseMessage ResponseClass="${cls}"><m:ResponseCode>NoError</m:ResponseCode>${inner}</m:${op}ResponseMessage>`;
}

export function errorMessage(op: string, code: string, text: string, messageXml = ''): string {
  const items = NEEDS_ITEMS.has(op) ? '<m:Items/>' : '';
  const mx = messageXml ? `<m:MessageXml>${messageXml}</m:MessageXml>` : '';
  return `<m:${op}ResponseMessage ResponseClass="Error"><m:MessageText>${esc(text)}</m:MessageText><m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${mx}${items}</m:${op}ResponseMessage>`;
}

/** A SOAP fault as Exchange sends it (HTTP 500), with the EWS error code in faultcode and detail. */
export class SoapFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly faultcode: string = `a:${code}`,
    readonly messageXml = '',
    readonly httpStatus = 500,
  ) {
    super(message);
  }

  toXml(): string {
    const ns = this.faultcode.startsWith('a:') ? ` xmlns:a="${NS.t}"` : '';
    const mx = this.messageXml ? `<t:MessageXml xmlns:t="${NS.t}">${this.messageXml}</t:MessageXml>` : '';
    const body = `<s:Fault><faultcode${ns}>${this.faultcode}</faultcode><faultstring xml:lang="en-US">${esc(this.message)}</faultstring><detail><e:ResponseCode xmlns:e="${NS.e}">${this.code}</e:ResponseCode><e:Message xmlns:e="${NS.e}">${esc(this.message)}</e:Message>${mx}</detail></s:Fault>`;
    return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Header>${SERVER_VERSION_INFO}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  }
}

export function backOffXml(ms: number): string {
  return `<t:Value Name="BackOffMilliseconds">${ms}</t:Value>`;
}

/** An error for one response message (HTTP 200, ResponseClass="Error"). */
export class EwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly messageXml = '',
  ) {
    super(message);
  }
}
