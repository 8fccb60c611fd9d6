import Ajv, { ValidateFunction } from 'ajv';
import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface Operation {
  method: string;
  path: string;
  operation: OperationObject;
}

/** A response as a test saw it: supertest's, or one an exception filter wrote. */
export interface SeenResponse {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

const isReference = (x: object): x is ReferenceObject => '$ref' in x;

/**
 * Holds real responses to an OpenAPI 3.0 document: the status must be documented for the operation, the body
 * valid against the schema documented for it, the headers it marks required present, and an error body must
 * name its own status.
 */
export class OpenApiConformance {
  private readonly ajv = new Ajv({ strict: false, allErrors: true })
    // The formats the document uses, checked as the API writes them (ids derived from a key are UUID-shaped too).
    .addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
    .addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenAPIObject) {
    // The document's own `#/components/...` references resolve inside this schema resource.
    this.ajv.addSchema({ $id: 'openapi', components: nullableRefs(document.components ?? {}) });
  }

  operations(): Operation[] {
    return Object.entries(this.document.paths).flatMap(([path, item]) =>
      METHODS.flatMap((method) => {
        const operation = item[method];
        return operation ? [{ method, path, operation }] : [];
      }),
    );
  }

  operation(method: string, path: string): OperationObject {
    const operation = this.document.paths[path]?.[method.toLowerCase() as (typeof METHODS)[number]];
    if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    return operation;
  }

  /** The response documented for a status, references resolved. */
  response(operation: OperationObject, status: number): ResponseObject | undefined {
    const documented = operation.responses[String(status)];
    if (!documented || !isReference(documented)) return documented;
    return this.resolve<ResponseObject>(documented.$ref);
  }

  headerParameters(operation: OperationObject): ParameterObject[] {
    return (operation.parameters ?? [])
      .map((p) => (isReference(p) ? this.resolve<ParameterObject>(p.$ref) : p))
      .filter((p) => p.in === 'header');
  }

  /** What is wrong with one response to `method path` (a path template, as in the document); empty when nothing. */
  problems(method: string, path: string, seen: SeenResponse): string[] {
    const operation = this.operation(method, path);
    const where = `${method.toUpperCase()} ${path} → ${seen.status}`;
    const documented = this.response(operation, seen.status);
    if (!documented)
      return [`${where}: not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    const problems: string[] = [];
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if ((header as HeaderObject).required && headerOf(seen.headers, name) === undefined)
        problems.push(`${where}: no ${name} header`);
    }
    const schema = documented.content?.['application/json']?.schema;
    if (schema) {
      const validate = this.validator(schema);
      if (!validate(seen.body))
        problems.push(`${where}: body ${JSON.stringify(seen.body)} ${this.ajv.errorsText(validate.errors)}`);
    }
    if (seen.status >= 400 && (seen.body as { statusCode?: unknown } | null)?.statusCode !== seen.status)
      problems.push(
        `${where}: body names status ${JSON.stringify((seen.body as { statusCode?: unknown })?.statusCode)}`,
      );
    return problems;
  }

  private validator(schema: SchemaObject | ReferenceObject): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      // An inline schema (a oneOf of components, say) refers to the document's components as `#/…`.
      validate = this.ajv.compile(
        isReference(schema)
          ? { $ref: this.absolute(schema.$ref) }
          : nullableRefs(JSON.parse(key.replaceAll('"$ref":"#/', '"$ref":"openapi#/')) as SchemaObject),
      );
      this.validators.set(key, validate);
    }
    return validate;
  }

  private absolute(ref: string): string {
    if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
    return `openapi${ref}`;
  }

  private resolve<T>(ref: string): T {
    let node: unknown = this.document;
    for (const part of this.absolute(ref).slice('openapi#/'.length).split('/'))
      node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`${ref} does not resolve`);
    return node as T;
  }
}

/**
 * OpenAPI 3.0 writes "this object or null" as `nullable: true` beside an `allOf` of one reference (as swagger does,
 * and as openapi-typescript reads it: `Mailbox | null`). JSON Schema applies the `allOf` to null too, so each such
 * schema is checked as either null or the reference.
 */
function nullableRefs<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableRefs) as T;
  if (typeof node !== 'object' || node === null) return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, nullableRefs(v)])) as Record<
    string,
    unknown
  >;
  if (out.nullable === true && Array.isArray(out.allOf)) {
    const { nullable: _nullable, ...rest } = out;
    return { anyOf: [{ type: 'null' }, rest] } as T;
  }
  return out as T;
}

/** Header names are case-insensitive; supertest gives them in lower case, Express's setHeader as written. */
function headerOf(headers: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}
