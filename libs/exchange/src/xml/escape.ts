/**
 * ews-javascript-api writes element text and attribute values verbatim (upstream #358, #368): a `&` or `<` in a
 * subject makes the request malformed. Every free-text value we hand it goes through `xmlEscape` exactly once.
 * Also drops characters XML 1.0 cannot carry at all (control characters other than tab, CR, LF; lone surrogates).
 */
export function xmlEscape(value: string): string {
  return stripInvalidXmlChars(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const INVALID_XML =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function stripInvalidXmlChars(value: string): string {
  return value.replace(INVALID_XML, '');
}

/** An SMTP address as the client will write it (trimmed, escaped: addresses can legally contain `&` and `'`). */
export function xmlEscapeAddress(address: string): string {
  return xmlEscape(address.trim());
}
