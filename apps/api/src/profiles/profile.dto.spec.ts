import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { rules } from '@ssync/domain';
import { CreateProfileDto, SERVER_LOCATION_PATTERN } from './profile.dto';

const LOCATION = new RegExp(SERVER_LOCATION_PATTERN);

describe('a server location: what the document allows is what the API accepts', () => {
  it.each([
    'https://mail.contoso.com/EWS/Exchange.asmx',
    'http://exchange01:8080/EWS/Exchange.asmx?x=1#top',
    'HTTPS://10.0.0.25/EWS/Exchange.asmx',
    'http://my_host',
  ])('accepts %s', (url) => {
    expect(LOCATION.test(url)).toBe(true);
    expect(rules.httpUrl('incomingServerLocation', url)).toEqual([]);
  });

  it.each([
    '',
    'mail.contoso.com',
    'ftp://mail.contoso.com',
    'https://user:secret@mail.contoso.com/',
    'https://mail.contoso.1/',
    'https://300.1.1.1/',
    'https://mail.contoso.com:0/',
    'https://mail.contoso.com:65536/',
    'https://-mail.contoso.com/',
    'https://mail..contoso.com/',
    'https://mail.contoso.com/a b',
    'https://exämple.com/',
  ])('refuses %j', (url) => {
    expect(LOCATION.test(url)).toBe(false);
    const dto = plainToInstance(CreateProfileDto, { incomingServerLocation: url });
    expect(validateSync(dto).find((e) => e.property === 'incomingServerLocation')?.constraints).toEqual({
      isUrl: expect.stringMatching(/^must be an absolute http\(s\) URL/),
    });
  });

  it('no URL the pattern allows is refused by the domain rule (random strings over the characters that matter)', () => {
    const alphabet = 'aZ09_-.:/?#%@ é<>\\1';
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    let allowed = 0;
    for (let i = 0; i < 50_000; i++) {
      let url = ['http://', 'https://'][next() % 2]!;
      for (let n = 1 + (next() % 14); n > 0; n--) url += alphabet[next() % alphabet.length];
      if (!LOCATION.test(url)) continue;
      allowed++;
      expect([url, rules.httpUrl('incomingServerLocation', url)]).toEqual([url, []]);
    }
    expect(allowed).toBeGreaterThan(1_000);
  });
});
