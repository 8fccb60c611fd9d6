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
    // A query's text goes into database filters, and the PostgreSQL under FerretDB cannot hold NUL (a 500).
    if (metadata.type === 'query' && value && typeof value === 'object') {
      const nul = Object.entries(value).filter(([, v]) => typeof v === 'string' && v.includes('\u0000'));
      if (nul.length > 0)
        throw new ValidationFailed(
          nul.map(([field]) => ({ field, rule: 'noNul', message: 'must not contain the NUL character' })),
        );
    }
    return super.transform(value, metadata);
  }
}
