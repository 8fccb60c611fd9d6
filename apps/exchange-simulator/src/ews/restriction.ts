import { El } from '../xml/xml';
import { AddrEntry, Attendee, Body, DictEntry, FieldValue, Folder, Item, Mbx } from '../store/model';
import { FIELD_BY_URI, FieldType, extKey, extUriAttrs, parseBool } from './fields';

export type Predicate<T> = (x: T) => boolean;

/** A resolved property path: how to read it from an item, and its type for constant conversion. */
interface Operand {
  read: (it: Item) => (string | number)[] | undefined;
  type: FieldType | 'ext';
}

function flatten(type: FieldType, v: FieldValue): (string | number)[] {
  switch (type) {
    case 'string':
      return [v as string];
    case 'bool':
      return [v ? 1 : 0];
    case 'int':
    case 'double':
      return [v as number];
    case 'date':
      return [Date.parse(v as string)];
    case 'body':
      return [(v as Body).text];
    case 'mbx': {
      const m = v as Mbx;
      return [m.email, ...(m.name !== undefined ? [m.name] : [])];
    }
    case 'mbxs':
      return (v as Mbx[]).flatMap((m) => [m.email, ...(m.name !== undefined ? [m.name] : [])]);
    case 'attendees':
      return (v as Attendee[]).flatMap((a) => [
        a.mailbox.email,
        ...(a.mailbox.name !== undefined ? [a.mailbox.name] : []),
      ]);
    case 'strings':
      return v as string[];
    case 'emailDict':
    case 'phoneDict':
      return (v as DictEntry[]).map((e) => e.value);
    case 'addrDict':
      return (v as AddrEntry[]).flatMap((e) =>
        [e.Street, e.City, e.State, e.CountryOrRegion, e.PostalCode].filter((x): x is string => !!x),
      );
  }
}

function operandOf(el: El): Operand | undefined {
  if (el.local === 'ExtendedFieldURI') {
    const key = extKey(extUriAttrs(el));
    const t = el.attr('PropertyType') ?? 'String';
    return {
      type: 'ext',
      read: (it) => {
        const p = it.ext.find((e) => e.key === key);
        if (!p) return undefined;
        const vals = p.values ?? [p.value ?? ''];
        if (/Integer|Long|Short|Double|Float|Currency/.test(t)) return vals.map(Number);
        if (/SystemTime/.test(t)) return vals.map((v) => Date.parse(v));
        if (/Boolean/.test(t)) return vals.map((v) => (parseBool(v) ? 1 : 0));
        return vals;
      },
    };
  }
  const uri = el.attr('FieldURI');
  if (!uri) return undefined;
  if (el.local === 'IndexedFieldURI') {
    const index = el.attr('FieldIndex') ?? '';
    if (uri === 'contacts:EmailAddress' || uri === 'contacts:PhoneNumber') {
      const f = uri === 'contacts:EmailAddress' ? 'EmailAddresses' : 'PhoneNumbers';
      return {
        type: 'string',
        read: (it) => {
          const e = (it.f[f] as DictEntry[] | undefined)?.find((x) => x.key === index);
          return e ? [e.value] : undefined;
        },
      };
    }
    const m = /^contacts:PhysicalAddress:(\w+)$/.exec(uri);
    if (m) {
      const part = m[1] as keyof AddrEntry;
      return {
        type: 'string',
        read: (it) => {
          const e = (it.f.PhysicalAddresses as AddrEntry[] | undefined)?.find((x) => x.key === index);
          const v = e?.[part];
          return v !== undefined ? [v] : undefined;
        },
      };
    }
    return { type: 'string', read: () => undefined };
  }
  if (uri === 'item:ItemId') return { type: 'string', read: (it) => [it.id] };
  if (uri === 'item:ParentFolderId') return { type: 'string', read: (it) => [it.folderId] };
  const def = FIELD_BY_URI.get(uri);
  // Unknown FieldURI: the property never exists on our items.
  if (!def) return { type: 'string', read: () => undefined };
  return {
    type: def.type,
    read: (it) => {
      if (def.kind !== 'Item' && def.kind !== it.kind) return undefined;
      const v = it.f[def.el];
      return v === undefined ? undefined : flatten(def.type, v);
    },
  };
}

function constantFor(type: Operand['type'], raw: string): string | number {
  switch (type) {
    case 'date':
      return Date.parse(raw);
    case 'int':
    case 'double':
      return Number(raw);
    case 'bool':
      return parseBool(raw) ? 1 : 0;
    case 'ext': {
      const n = Number(raw);
      if (raw.trim() !== '' && !Number.isNaN(n)) return n;
      const d = /^\d{4}-\d\d-\d\d/.test(raw) ? Date.parse(raw) : NaN;
      if (!Number.isNaN(d)) return d;
      return raw === 'true' ? 1 : raw === 'false' ? 0 : raw;
    }
    case 'string':
    case 'body':
    case 'mbx':
    case 'mbxs':
    case 'attendees':
    case 'strings':
    case 'emailDict':
    case 'phoneDict':
    case 'addrDict':
      return raw;
  }
}

function cmp(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number' || typeof b === 'number') {
    const na = Number(a),
      nb = Number(b);
    if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  }
  const sa = String(a).toLowerCase(),
    sb = String(b).toLowerCase();
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const PATH_NAMES = new Set(['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI']);

export class RestrictionError extends Error {}

/** Compile a search expression (the child of Restriction) into a predicate over items. */
export function compileExpression(el: El): Predicate<Item> {
  switch (el.local) {
    case 'And': {
      const parts = el.children.map(compileExpression);
      return (it) => parts.every((p) => p(it));
    }
    case 'Or': {
      const parts = el.children.map(compileExpression);
      return (it) => parts.some((p) => p(it));
    }
    case 'Not': {
      const c = el.first();
      if (!c) throw new RestrictionError('Not needs an operand');
      const p = compileExpression(c);
      return (it) => !p(it);
    }
    case 'Exists': {
      const path = el.children.find((c) => PATH_NAMES.has(c.local));
      const op = path && operandOf(path);
      if (!op) throw new RestrictionError('Exists needs a property path');
      return (it) => {
        const v = op.read(it);
        return v !== undefined && v.length > 0;
      };
    }
    case 'Contains':
    case 'Excludes': {
      const path = el.children.find((c) => PATH_NAMES.has(c.local));
      const op = path && operandOf(path);
      const cst = el.child('Constant')?.attr('Value') ?? el.child('Bitmask')?.attr('Value');
      if (!op || cst === undefined) throw new RestrictionError(`${el.local} needs a path and a constant`);
      if (el.local === 'Excludes') {
        const mask = Number(cst);
        return (it) => (op.read(it) ?? []).every((v) => (Number(v) & mask) === 0);
      }
      const mode = el.attr('ContainmentMode') ?? 'Substring';
      const comparison = el.attr('ContainmentComparison') ?? 'Exact';
      const ignoreCase = /IgnoreCase|Loose/.test(comparison);
      const norm = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
      const needle = norm(cst);
      const test = (hay: string): boolean => {
        const h = norm(hay);
        switch (mode) {
          case 'FullString':
            return h === needle;
          case 'Prefixed':
            return h.startsWith(needle);
          case 'PrefixOnWords':
            return h.split(/\W+/).some((w) => w.startsWith(needle)) || h.startsWith(needle);
          case 'ExactPhrase':
          case 'Substring':
          default:
            return h.includes(needle);
        }
      };
      return (it) => (op.read(it) ?? []).some((v) => test(String(v)));
    }
    case 'IsEqualTo':
    case 'IsNotEqualTo':
    case 'IsGreaterThan':
    case 'IsGreaterThanOrEqualTo':
    case 'IsLessThan':
    case 'IsLessThanOrEqualTo': {
      const path = el.children.find((c) => PATH_NAMES.has(c.local));
      const op = path && operandOf(path);
      const rhsEl = el.child('FieldURIOrConstant')?.first();
      if (!op || !rhsEl) throw new RestrictionError(`${el.local} needs a path and FieldURIOrConstant`);
      let rhs: (it: Item) => (string | number)[] | undefined;
      if (rhsEl.local === 'Constant') {
        const c = constantFor(op.type, rhsEl.attr('Value') ?? '');
        rhs = () => [c];
      } else {
        const other = operandOf(rhsEl);
        rhs = (it) => other?.read(it);
      }
      const name = el.local;
      const ok = (d: number): boolean => {
        switch (name) {
          case 'IsEqualTo':
            return d === 0;
          case 'IsNotEqualTo':
            return d !== 0;
          case 'IsGreaterThan':
            return d > 0;
          case 'IsGreaterThanOrEqualTo':
            return d >= 0;
          case 'IsLessThan':
            return d < 0;
          case 'IsLessThanOrEqualTo':
            return d <= 0;
        }
      };
      return (it) => {
        const l = op.read(it);
        const r = rhs(it);
        if (name === 'IsNotEqualTo') {
          if (!l || !r) return true;
          return !l.some((a) => r.some((b) => cmp(a, b) === 0));
        }
        if (!l || !r) return false;
        return l.some((a) => r.some((b) => ok(cmp(a, b))));
      };
    }
    default:
      throw new RestrictionError(`Unsupported search expression ${el.local}`);
  }
}

export function compileRestriction(restriction: El | undefined): Predicate<Item> {
  const expr = restriction?.first();
  return expr ? compileExpression(expr) : () => true;
}

/** Folder restrictions (FindFolder) over the few folder properties. */
export function compileFolderRestriction(
  restriction: El | undefined,
  unread: (f: Folder) => number,
): Predicate<Folder> {
  const expr = restriction?.first();
  if (!expr) return () => true;
  const get = (f: Folder, uri: string): string | number | undefined => {
    switch (uri) {
      case 'folder:DisplayName':
        return f.displayName;
      case 'folder:FolderClass':
        return f.folderClass;
      case 'folder:TotalCount':
        return f.itemIds.size;
      case 'folder:UnreadCount':
        return unread(f);
      default:
        return undefined;
    }
  };
  const build = (el: El): Predicate<Folder> => {
    switch (el.local) {
      case 'And': {
        const p = el.children.map(build);
        return (f) => p.every((x) => x(f));
      }
      case 'Or': {
        const p = el.children.map(build);
        return (f) => p.some((x) => x(f));
      }
      case 'Not': {
        const c = el.first();
        const p = c ? build(c) : () => true;
        return (f) => !p(f);
      }
      default: {
        const uri = el.child('FieldURI')?.attr('FieldURI') ?? '';
        const cst =
          el.path('FieldURIOrConstant', 'Constant')?.attr('Value') ??
          el.child('Constant')?.attr('Value') ??
          '';
        return (f) => {
          const v = get(f, uri);
          if (el.local === 'Exists') return v !== undefined;
          if (v === undefined) return el.local === 'IsNotEqualTo';
          const d = cmp(typeof v === 'number' ? v : v, typeof v === 'number' ? Number(cst) : cst);
          switch (el.local) {
            case 'IsEqualTo':
              return d === 0;
            case 'IsNotEqualTo':
              return d !== 0;
            case 'IsGreaterThan':
              return d > 0;
            case 'IsGreaterThanOrEqualTo':
              return d >= 0;
            case 'IsLessThan':
              return d < 0;
            case 'IsLessThanOrEqualTo':
              return d <= 0;
            case 'Contains':
              return String(v).toLowerCase().includes(cst.toLowerCase());
            default:
              return true;
          }
        };
      }
    }
  };
  return build(expr);
}
