import { El, esc } from '../xml/xml';
import { Store } from '../store/store';
import { SERVER_VERSION } from './soap';

const AD = 'http://schemas.microsoft.com/exchange/2010/Autodiscover';

/** Autodiscover SOAP GetUserSettings: enough for clients to find the EWS URL and the user's display name. */
export function getUserSettings(store: Store, req: El, ewsUrl: string): string {
  const users = req.path('Request', 'Users')?.all('User') ?? [];
  const wanted = (req.path('Request', 'RequestedSettings')?.all('Setting') ?? []).map((s) => s.text.trim());
  const responses = users
    .map((u) => {
      const smtp = u.childText('Mailbox')?.trim() ?? '';
      const mbx = store.mailbox(smtp);
      if (!mbx)
        return `<UserResponse><ErrorCode>InvalidUser</ErrorCode><ErrorMessage>Invalid user: '${esc(smtp)}'</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors/><UserSettings/></UserResponse>`;
      const all: Record<string, string> = {
        UserDisplayName: mbx.displayName,
        UserDN: `/o=Simulator/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${mbx.key.split('@')[0] ?? ''}`,
        UserDeploymentId: mbx.guid,
        InternalEwsUrl: ewsUrl,
        ExternalEwsUrl: ewsUrl,
        EwsSupportedSchemas:
          'Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016',
        CasVersion: `${SERVER_VERSION.major}.${String(SERVER_VERSION.minor).padStart(2, '0')}.${SERVER_VERSION.majorBuild}.${String(SERVER_VERSION.minorBuild).padStart(3, '0')}`,
        AutoDiscoverSMTPAddress: mbx.smtp,
        InternalMailboxServer: `${mbx.guid}@simulator.local`,
        ExternalMailboxServer: 'simulator.local',
        MailboxDN: `/o=Simulator/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=${mbx.guid}@simulator.local/cn=Microsoft Private MDB`,
        ActiveDirectoryServer: 'dc01.simulator.local',
        ExternalEwsVersion: `${SERVER_VERSION.major}.${String(SERVER_VERSION.minor).padStart(2, '0')}.${SERVER_VERSION.majorBuild}.${String(SERVER_VERSION.minorBuild).padStart(3, '0')}`,
      };
      const names = wanted.length ? wanted : Object.keys(all);
      const settings = names
        .filter((n) => all[n] !== undefined)
        .map(
          (n) =>
            `<UserSetting i:type="StringSetting"><Name>${esc(n)}</Name><Value>${esc(all[n] ?? '')}</Value></UserSetting>`,
        )
        .join('');
      const errors = names
        .filter((n) => all[n] === undefined)
        .map(
          (n) =>
            `<UserSettingError><ErrorCode>SettingIsNotAvailable</ErrorCode><ErrorMessage>User setting '${esc(n)}' is not available.</ErrorMessage><SettingName>${esc(n)}</SettingName></UserSettingError>`,
        )
        .join('');
      return `<UserResponse><ErrorCode>NoError</ErrorCode><ErrorMessage>No error.</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors>${errors}</UserSettingErrors><UserSettings>${settings}</UserSettings></UserResponse>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse</a:Action><h:ServerVersionInfo xmlns:h="${AD}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><h:MajorVersion>${SERVER_VERSION.major}</h:MajorVersion><h:MinorVersion>${SERVER_VERSION.minor}</h:MinorVersion><h:MajorBuildNumber>${SERVER_VERSION.majorBuild}</h:MajorBuildNumber><h:MinorBuildNumber>${SERVER_VERSION.minorBuild}</h:MinorBuildNumber><h:Version>Exchange2015</h:Version></h:ServerVersionInfo></s:Header><s:Body><GetUserSettingsResponseMessage xmlns="${AD}"><Response xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ErrorCode>NoError</ErrorCode><ErrorMessage/><UserResponses>${responses}</UserResponses></Response></GetUserSettingsResponseMessage></s:Body></s:Envelope>`;
}
