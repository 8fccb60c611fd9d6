import { rules } from '@ssync/domain';
import { isInstant } from './instant';

describe('isInstant', () => {
  it.each([
    '2026-01-31T09:00:00Z',
    '0090-03-14T00:21:56Z',
    '0000-01-01T00:00:00Z',
    '2024-02-29T23:59:59.123456789+05:30',
    '9999-12-31T23:59:59-23:59',
  ])('accepts %s, and so does the domain rule', (value) => {
    expect(isInstant(value)).toBe(true);
    expect(rules.isoInstant('at', value)).toEqual([]);
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:60Z',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01 00:00:00Z',
    '2026-01-01',
    '',
    42,
  ])('refuses %j', (value) => {
    expect(isInstant(value)).toBe(false);
  });

  it.each(['2026-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+24:00'])(
    'the domain rule refuses %s too (Date.parse would move it)',
    (value) => expect(rules.isoInstant('at', value)).toHaveLength(1),
  );
});
