import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailed, ViolationBody } from './errors';

/** class-validator's constraint names, as the rule names the API reports. */
const RULE_NAMES: Record<string, string> = {
  whitelistValidation: 'unknownField',
  isInt: 'integer',
  isUrl: 'url',
  isIn: 'enum',
  isEnum: 'enum',
  min: 'range',
  max: 'range',
  arrayMaxSize: 'maxItems',
};

function flatten(errors: ValidationError[], parent = ''): ViolationBody[] {
  const out: ViolationBody[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const unknown = constraint === 'whitelistValidation';
      out.push({
        field,
        rule: RULE_NAMES[constraint] ?? constraint,
        message: unknown ? 'is not a known field' : message.replace(new RegExp(`^${error.property} `), ''),
      });
    }
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * Unknown fields, wrong types and out-of-range values are refused at the edge with the field and the rule.
 * No implicit conversion: "5" is not a number.
 */
export function apiValidationPipe(): ValidationPipe {
  return new BodyRequiredValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(flatten(errors)),
  });
}

/**
 * An operation that takes a body documents it as required: a request without one (not even `{}`) is refused, not
 * read as an empty object that a PUT would save as every default.
 */
class BodyRequiredValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === undefined && metadata.metatype && metadata.metatype !== Object)
      throw new ValidationFailed([
        { field: 'body', rule: 'required', message: 'is required (a JSON object)' },
      ]);
    // Text goes into database filters and documents, and the PostgreSQL under FerretDB cannot hold NUL (a 500).
    if ((metadata.type === 'query' || metadata.type === 'body') && value && typeof value === 'object') {
      const nul = fieldsWithNul(value);
      if (nul.length > 0)
        throw new ValidationFailed(
          nul.map((field) => ({ field, rule: 'noNul', message: 'must not contain the NUL character' })),
        );
    }
    return super.transform(value, metadata);
  }
}

/**
 * The paths (as `flatten` names them: `changes.name`, `to.2`) of every string under `value` that holds NUL. A loop,
 * not recursion: a 2 MB body can nest deeper than the stack.
 */
export function fieldsWithNul(value: unknown): string[] {
  const found: string[] = [];
  const pending: [string, unknown][] = [['', value]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [path, v] = next;
    if (typeof v === 'string' && v.includes('\u0000')) found.push(path || 'body');
    else if (v && typeof v === 'object')
      for (const [key, child] of Object.entries(v).reverse())
        pending.push([path ? `${path}.${key}` : key, child]);
  }
  return found;
}
