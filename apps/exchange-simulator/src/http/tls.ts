import { generate } from 'selfsigned';

export interface GeneratedTls {
  key: string;
  cert: string;
  fingerprint: string;
}

/**
 * A self-signed certificate for the simulator's HTTPS endpoint (localhost, 127.0.0.1 and `host`), made at start so
 * a demo or a test can speak TLS without any certificate on disk. Clients trust it by its PEM (`cert`).
 */
export async function generateTls(host = '127.0.0.1', days = 30): Promise<GeneratedTls> {
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ];
  if (host !== '127.0.0.1' && host !== 'localhost') {
    altNames.push(/^[\d.]+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host });
  }
  const pems = await generate([{ name: 'commonName', value: 'ssync Exchange simulator' }], {
    notAfterDate: new Date(Date.now() + days * 86_400_000),
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  return { key: pems.private, cert: pems.cert, fingerprint: pems.fingerprint };
}
