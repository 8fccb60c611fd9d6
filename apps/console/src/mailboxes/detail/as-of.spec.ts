import { asOfInstant, localInputValue } from './as-of';

describe('the "state as of" time', () => {
  it("reads the input's wall-clock time in the browser's zone, and gives the instant", () => {
    const local = new Date(2026, 0, 31, 10, 5);
    expect(asOfInstant('2026-01-31T10:05')).toBe(local.toISOString());
    expect(asOfInstant('2026-01-31T10:05:30')).toBe(new Date(2026, 0, 31, 10, 5, 30).toISOString());
  });

  it('refuses what is not a time the input could hold', () => {
    expect(asOfInstant('')).toBeNull();
    expect(asOfInstant('yesterday')).toBeNull();
    expect(asOfInstant('2026-02-31T10:00')).toBeNull();
  });

  it('shows an instant in the input to the second, and reads back the same second', () => {
    const at = new Date(2026, 6, 4, 9, 7, 59, 500);
    expect(localInputValue(at)).toBe('2026-07-04T09:07:59');
    expect(asOfInstant(localInputValue(at))).toBe(new Date(2026, 6, 4, 9, 7, 59).toISOString());
  });
});
