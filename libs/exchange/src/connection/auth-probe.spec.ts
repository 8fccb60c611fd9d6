import { chooseScheme, parseAuthSchemes } from './auth-probe';

describe('WWW-Authenticate parsing and AutoDetect choice', () => {
  it('parses combined and single headers', () => {
    expect(parseAuthSchemes('Negotiate, NTLM, Basic realm="simulator"')).toEqual([
      'negotiate',
      'ntlm',
      'basic',
    ]);
    expect(parseAuthSchemes('Basic realm="a, b", NTLM')).toEqual(['basic', 'ntlm']);
    expect(parseAuthSchemes('NTLM TlRMTVNTUAACAAAA')).toEqual(['ntlm']);
    expect(parseAuthSchemes(undefined)).toEqual([]);
  });
  it('prefers NTLM (also inside Negotiate), else Basic, else nothing', () => {
    expect(chooseScheme(['negotiate', 'ntlm', 'basic'])).toBe('ntlm');
    expect(chooseScheme(['negotiate'])).toBe('ntlm');
    expect(chooseScheme(['basic'])).toBe('basic');
    expect(chooseScheme(['bearer'])).toBeUndefined();
  });
});
