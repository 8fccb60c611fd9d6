import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  m: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  t: 'http://schemas.microsoft.com/exchange/services/2006/types',
  e: 'http://schemas.microsoft.com/exchange/services/2006/errors',
  a: 'http://schemas.microsoft.com/exchange/2010/Autodiscover',
  wsa: 'http://www.w3.org/2005/08/addressing',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

/** A namespace-resolved XML element: just enough DOM for reading SOAP requests. */
export class El {
  readonly children: El[] = [];
  text = '';
  constructor(
    readonly local: string,
    readonly ns: string,
    readonly attrs: Record<string, string>,
    /** prefix → namespace map in scope (needed to resolve QName values such as xsi:type) */
    readonly scope: Record<string, string>,
  ) {}

  child(local: string): El | undefined {
    return this.children.find((c) => c.local === local);
  }
  all(local: string): El[] {
    return this.children.filter((c) => c.local === local);
  }
  first(): El | undefined {
    return this.children[0];
  }
  attr(name: string): string | undefined {
    return this.attrs[name];
  }
  /** Text of a child element, if present. */
  childText(local: string): string | undefined {
    return this.child(local)?.text;
  }
  /** Descend by local names. */
  path(...locals: string[]): El | undefined {
    let cur: El | undefined = locals.length ? this.child(locals[0] ?? '') : undefined;
    for (const l of locals.slice(1)) cur = cur?.child(l);
    return cur;
  }
}

export class XmlParseError extends Error {
  constructor(
    message: string,
    readonly line = 1,
    readonly col = 1,
  ) {
    super(message);
  }
}

type Ordered = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
});

/** Parse and namespace-resolve an XML document; throws XmlParseError when it is not well-formed. */
export function parseXml(xml: string): El {
  const v = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (v !== true) throw new XmlParseError(v.err.msg, v.err.line, v.err.col);
  const nodes = parser.parse(xml) as Ordered[];
  const roots: El[] = [];
  for (const n of nodes) {
    const el = build(n, { xml: 'http://www.w3.org/XML/1998/namespace' });
    if (el) roots.push(el);
  }
  if (roots.length !== 1 || !roots[0]) throw new XmlParseError('Document must have exactly one root element');
  return roots[0];
}

function build(node: Ordered, parentScope: Record<string, string>): El | undefined {
  let tag: string | undefined;
  for (const k of Object.keys(node)) {
    if (k !== ':@' && k !== '#text' && k !== '#comment') tag = k;
  }
  if (tag === undefined) return undefined;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
  let scope = parentScope;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns') {
      if (scope === parentScope) scope = { ...parentScope };
      scope[''] = v;
    } else if (k.startsWith('xmlns:')) {
      if (scope === parentScope) scope = { ...parentScope };
      scope[k.slice(6)] = v;
    }
  }
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    const i = k.indexOf(':');
    // Attributes are looked up by local name; prefixed ones (xsi:type, xml:lang) keep their prefix.
    attrs[i < 0 ? k : k] = v;
  }
  const ci = tag.indexOf(':');
  const prefix = ci < 0 ? '' : tag.slice(0, ci);
  const local = ci < 0 ? tag : tag.slice(ci + 1);
  const ns = scope[prefix];
  if (ns === undefined && prefix !== '') throw new XmlParseError(`Undeclared namespace prefix '${prefix}'`);
  const el = new El(local, ns ?? '', attrs, scope);
  const kids = node[tag] as Ordered[];
  let text = '';
  for (const k of kids) {
    if ('#text' in k) text += String(k['#text']);
    else {
      const c = build(k, scope);
      if (c) el.children.push(c);
    }
  }
  el.text = text;
  return el;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
// XML 1.0 forbids most C0 control characters even when escaped; drop them.
// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
export function esc(s: string | number | boolean): string {
  return String(s)
    .replace(INVALID, '')
    .replace(/[&<>"']/g, (c) => ESC[c] ?? c);
}

/** Build `<tag attr="…">inner</tag>`; attributes with undefined values are omitted. */
export function tag(
  name: string,
  attrs: Record<string, string | number | boolean | undefined> | null,
  inner?: string,
): string {
  let a = '';
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a += ` ${k}="${esc(v)}"`;
  return inner === undefined || inner === '' ? `<${name}${a}/>` : `<${name}${a}>${inner}</${name}>`;
}

/** `<name>escaped text</name>` */
export function txt(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${esc(value)}</${name}>`;
}
