import { createType1Message, createType3Message, decodeType2Message } from '@ewsjs/ntlm-client';
import { md4, ntHash } from './md4';
import { buildChallenge, newServerChallenge, parseNtlmMessage, verifyNtlmV2 } from './ntlm';

describe('md4', () => {
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    [
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
      'e33b4ddc9c38f2199c3e7b164fcc0536',
    ],
  ])('RFC 1320 vector %p', (input, hex) => {
    expect(md4(Buffer.from(input, 'ascii')).toString('hex')).toBe(hex);
  });
  it('computes the NT hash of "Password" (MS-NLMP 4.2.4.1.1 uses "Password")', () => {
    expect(ntHash('Password').toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });
});

describe('NTLMv2 server side', () => {
  it('parses Type 1, issues Type 2 that the real client accepts, and verifies its Type 3', () => {
    const t1 = createType1Message('.', 'CONTOSO');
    expect(parseNtlmMessage(t1.replace(/^NTLM /, '')).type).toBe(1);
    const challenge = newServerChallenge();
    const t2 = 'NTLM ' + buildChallenge(challenge, 'CONTOSO', 'EXCH01');
    const decoded = decodeType2Message(t2);
    expect(decoded.version).toBe(2);
    const t3 = createType3Message(decoded, 'alice', 'S3cret!', '.', 'CONTOSO');
    const msg = parseNtlmMessage(t3.replace(/^NTLM /, ''));
    if (msg.type !== 3) throw new Error('type');
    expect(msg.userName).toBe('alice');
    expect(msg.domain).toBe('CONTOSO');
    expect(verifyNtlmV2(msg, 'S3cret!', challenge)).toBe(true);
    expect(verifyNtlmV2(msg, 'wrong', challenge)).toBe(false);
    expect(verifyNtlmV2(msg, 'S3cret!', newServerChallenge())).toBe(false);
  });
});
