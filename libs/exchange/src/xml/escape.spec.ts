import { stripInvalidXmlChars, xmlEscape, xmlEscapeAddress } from './escape';

describe('xmlEscape', () => {
  it('escapes the five XML specials, & first', () => {
    expect(xmlEscape(`a & b < c > d "e" 'f'`)).toBe('a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;');
    expect(xmlEscape('&amp;')).toBe('&amp;amp;');
    expect(xmlEscape(']]>')).toBe(']]&gt;');
  });
  it('keeps non-ASCII, tabs and newlines', () => {
    expect(xmlEscape('Grüße 日本語 🚀\t\r\n')).toBe('Grüße 日本語 🚀\t\r\n');
  });
  it('drops characters XML 1.0 cannot carry', () => {
    expect(stripInvalidXmlChars('a\u0000b\u0008c\u000Bd\uFFFEe')).toBe('abcde');
    expect(stripInvalidXmlChars('x\uD800y')).toBe('xy');
    expect(stripInvalidXmlChars('🚀')).toBe('🚀');
  });
  it('addresses are trimmed and escaped', () => {
    expect(xmlEscapeAddress(" o'brien&co@contoso.com ")).toBe('o&apos;brien&amp;co@contoso.com');
  });
});
