import { parseXml } from '../xml/xml';
import { Item } from '../store/model';
import { compileRestriction } from './restriction';
import { extKey } from './fields';

const T = 'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';
const r = (expr: string): ((it: Item) => boolean) =>
  compileRestriction(parseXml(`<Restriction ${T}>${expr}</Restriction>`));
const field = (uri: string): string => `<t:FieldURI FieldURI="${uri}"/>`;
const cst = (v: string): string => `<t:FieldURIOrConstant><t:Constant Value="${v}"/></t:FieldURIOrConstant>`;

function item(kind: Item['kind'], f: Item['f'], ext: Item['ext'] = []): Item {
  return {
    id: 'i1',
    version: 1,
    mailbox: 'a@x',
    folderId: 'f',
    kind,
    f,
    ext,
    addedSeq: 1,
    modSeq: 1,
    readSeq: 1,
  };
}
const msg = item('Message', {
  Subject: 'Quarterly Report',
  DateTimeReceived: '2024-05-01T10:00:00Z',
  IsRead: false,
  From: { name: 'Dan Park', email: 'dan@fabrikam.com' },
  ToRecipients: [{ email: 'alice@contoso.com' }],
  Importance: 'High',
});
const contact = item('Contact', {
  GivenName: 'Dan',
  CompanyName: 'Fabrikam',
  EmailAddresses: [{ key: 'EmailAddress1', value: 'dan@fabrikam.com' }],
});
const task = item('Task', {
  Subject: 'Call',
  DueDate: '2030-01-01T00:00:00Z',
  PercentComplete: 50,
  Status: 'InProgress',
});
const appt = item('CalendarItem', { Subject: 'Sync', Start: '2030-05-01T10:00:00Z', Location: 'Room 1' }, [
  {
    key: extKey({
      DistinguishedPropertySetId: 'PublicStrings',
      PropertyName: 'CrmId',
      PropertyType: 'String',
    }),
    uri: { DistinguishedPropertySetId: 'PublicStrings', PropertyName: 'CrmId', PropertyType: 'String' },
    value: 'A-1',
  },
]);

describe('restriction evaluation', () => {
  it.each([
    [
      'IsEqualTo string (case-insensitive)',
      `<t:IsEqualTo>${field('item:Subject')}${cst('quarterly report')}</t:IsEqualTo>`,
      msg,
      true,
    ],
    ['IsNotEqualTo', `<t:IsNotEqualTo>${field('item:Importance')}${cst('Low')}</t:IsNotEqualTo>`, msg, true],
    [
      'IsGreaterThan date',
      `<t:IsGreaterThan>${field('item:DateTimeReceived')}${cst('2024-04-30T00:00:00Z')}</t:IsGreaterThan>`,
      msg,
      true,
    ],
    [
      'IsLessThanOrEqualTo date',
      `<t:IsLessThanOrEqualTo>${field('item:DateTimeReceived')}${cst('2024-04-30T00:00:00Z')}</t:IsLessThanOrEqualTo>`,
      msg,
      false,
    ],
    ['IsEqualTo boolean', `<t:IsEqualTo>${field('message:IsRead')}${cst('false')}</t:IsEqualTo>`, msg, true],
    [
      'IsEqualTo sender address',
      `<t:IsEqualTo>${field('message:From')}${cst('DAN@fabrikam.com')}</t:IsEqualTo>`,
      msg,
      true,
    ],
    [
      'Contains substring ignore case',
      `<t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase">${field('item:Subject')}<t:Constant Value="REPORT"/></t:Contains>`,
      msg,
      true,
    ],
    [
      'Contains prefixed exact',
      `<t:Contains ContainmentMode="Prefixed" ContainmentComparison="Exact">${field('item:Subject')}<t:Constant Value="report"/></t:Contains>`,
      msg,
      false,
    ],
    ['Exists', `<t:Exists>${field('message:ToRecipients')}</t:Exists>`, msg, true],
    ['Exists missing', `<t:Exists>${field('message:CcRecipients')}</t:Exists>`, msg, false],
    ['Not', `<t:Not><t:Exists>${field('message:CcRecipients')}</t:Exists></t:Not>`, msg, true],
    [
      'And/Or',
      `<t:And><t:Or><t:IsEqualTo>${field('item:Importance')}${cst('Low')}</t:IsEqualTo><t:IsEqualTo>${field('item:Importance')}${cst('High')}</t:IsEqualTo></t:Or><t:IsEqualTo>${field('message:IsRead')}${cst('0')}</t:IsEqualTo></t:And>`,
      msg,
      true,
    ],
    [
      'unknown FieldURI never matches',
      `<t:IsEqualTo>${field('item:Nonexistent')}${cst('x')}</t:IsEqualTo>`,
      msg,
      false,
    ],
    [
      'contact company',
      `<t:IsEqualTo>${field('contacts:CompanyName')}${cst('Fabrikam')}</t:IsEqualTo>`,
      contact,
      true,
    ],
    [
      'contact indexed email',
      `<t:IsEqualTo><t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"/>${cst('dan@fabrikam.com')}</t:IsEqualTo>`,
      contact,
      true,
    ],
    [
      'task number',
      `<t:IsGreaterThanOrEqualTo>${field('task:PercentComplete')}${cst('50')}</t:IsGreaterThanOrEqualTo>`,
      task,
      true,
    ],
    [
      'task due date',
      `<t:IsLessThan>${field('task:DueDate')}${cst('2029-01-01T00:00:00Z')}</t:IsLessThan>`,
      task,
      false,
    ],
    [
      'calendar location',
      `<t:IsEqualTo>${field('calendar:Location')}${cst('room 1')}</t:IsEqualTo>`,
      appt,
      true,
    ],
    ['message field on a calendar item', `<t:Exists>${field('message:IsRead')}</t:Exists>`, appt, false],
    [
      'extended property',
      `<t:IsEqualTo><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="CrmId" PropertyType="String"/>${cst('A-1')}</t:IsEqualTo>`,
      appt,
      true,
    ],
  ])('%s', (_n, expr, it, expected) => {
    expect(r(expr)(it)).toBe(expected);
  });
});
