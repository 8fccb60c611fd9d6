import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml } from '../xml/xml';
import { validateRequest } from './validate';

const EXAMPLES = join(__dirname, '..', '..', 'test', 'fixtures', 'requests');

describe('request validation', () => {
  it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.xml')))(
    'accepts the request ews-javascript-api sends: %s',
    (f) => {
      const xml = readFileSync(join(EXAMPLES, f), 'utf8').replace(/<!--[\s\S]*?-->/, '');
      expect(validateRequest(parseXml(xml))).toBeUndefined();
    },
  );

  const env = (body: string): string =>
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Body>${body}</soap:Body></soap:Envelope>`;
  it.each([
    [
      'missing FolderIds',
      '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape></m:GetFolder>',
    ],
    [
      'wrong order',
      '<m:GetFolder><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape></m:GetFolder>',
    ],
    [
      'bad distinguished id',
      '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="nope"/></m:FolderIds></m:GetFolder>',
    ],
    [
      'bad shape',
      '<m:GetItem><m:ItemShape><t:BaseShape>Everything</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="x"/></m:ItemIds></m:GetItem>',
    ],
    ['missing DeleteType', '<m:DeleteItem><m:ItemIds><t:ItemId Id="x"/></m:ItemIds></m:DeleteItem>'],
    [
      'MaxChangesReturned too high',
      '<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId><m:MaxChangesReturned>513</m:MaxChangesReturned></m:SyncFolderItems>',
    ],
    [
      'bad boolean',
      '<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="inbox"/></m:ToFolderId><m:ItemIds><t:ItemId Id="x"/></m:ItemIds><m:ReturnNewItemIds>yes</m:ReturnNewItemIds></m:MoveItem>',
    ],
    [
      'wrong namespace',
      '<m:GetFolder><t:FolderShape><t:BaseShape>Default</t:BaseShape></t:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>',
    ],
  ])('rejects %s', (_n, body) => {
    expect(validateRequest(parseXml(env(body)))).toEqual(expect.any(String));
  });
});
