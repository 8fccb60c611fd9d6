import { ArgumentMetadata, HttpException } from '@nestjs/common';
import { IsArray, IsOptional, IsString } from 'class-validator';
import { apiValidationPipe, fieldsWithNul } from './validation';

class Body {
  @IsString()
  name!: string;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  to?: string[];
}

const asBody: ArgumentMetadata = { type: 'body', metatype: Body };
const asQuery: ArgumentMetadata = { type: 'query', metatype: Object };

async function refusal(
  value: unknown,
  metadata: ArgumentMetadata,
): Promise<{ status: number; body: unknown }> {
  try {
    await apiValidationPipe().transform(value, metadata);
  } catch (error) {
    if (error instanceof HttpException) return { status: error.getStatus(), body: error.getResponse() };
    throw error;
  }
  throw new Error('accepted');
}

describe('NUL in a request (the database under FerretDB cannot store it)', () => {
  it("is refused in a body's text with a 400 naming each field, however deep", async () => {
    const { status, body } = await refusal({ name: 'a\u0000b', to: ['x@y.z', '\u0000'] }, asBody);
    expect(status).toBe(400);
    expect(body).toMatchObject({
      violations: [
        { field: 'name', rule: 'noNul' },
        { field: 'to.1', rule: 'noNul' },
      ],
    });
  });

  it("is refused in a query's text, as before", async () => {
    expect(await refusal({ q: '\u0000' }, asQuery)).toMatchObject({
      status: 400,
      body: { violations: [{ field: 'q', rule: 'noNul' }] },
    });
  });

  it('is found in nested objects without recursion, so a body nested deeper than the stack is no 500', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(fieldsWithNul({ changes: { name: 'ok', note: '\u0000' }, deep })).toEqual([
      'changes.note',
      `deep${'.0'.repeat(100_000)}`,
    ]);
  });

  it('lets text without NUL through to the other rules', async () => {
    await expect(apiValidationPipe().transform({ name: 'Ada' }, asBody)).resolves.toMatchObject({
      name: 'Ada',
    });
  });
});
