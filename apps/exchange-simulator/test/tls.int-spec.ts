import { request } from 'node:https';
import { generateTls } from '../src/http/tls';
import { startSimulator } from '../src/index';

function post(url: string, body: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          authorization: `Basic ${Buffer.from('CONTOSO\\tls:Passw0rd!').toString('base64')}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('exchange simulator over TLS with a certificate generated at start', () => {
  it('answers EWS over https to a client that trusts the generated certificate, and refuses one that does not', async () => {
    const tls = await generateTls();
    const sim = await startSimulator({ port: 0, tls: { key: tls.key, cert: tls.cert } });
    try {
      sim.admin.createAccount({ userName: 'tls', password: 'Passw0rd!', domain: 'CONTOSO' });
      sim.admin.createMailbox({ smtpAddress: 'tls@contoso.test', displayName: 'TLS', ownerUserName: 'tls' });
      expect(sim.ewsUrl).toMatch(/^https:\/\//);
      const getFolder = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/></soap:Header><soap:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></soap:Body></soap:Envelope>`;
      const res = await post(sim.ewsUrl, getFolder, tls.cert);
      expect(res.status).toBe(200);
      expect(res.text).toContain('ServerVersionInfo');
      expect(res.text).toContain('ResponseClass="Success"');
      const other = await generateTls();
      await expect(post(sim.ewsUrl, getFolder, other.cert)).rejects.toThrow();
    } finally {
      await sim.close();
    }
  });
});
