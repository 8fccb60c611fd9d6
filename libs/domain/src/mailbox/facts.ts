import { ProfileState } from '../profile/decider';
import { MailboxProfileFacts } from './commands';

/** The facts a mailbox command needs about a profile, from that profile's state. */
export function mailboxProfileFacts(state: ProfileState): MailboxProfileFacts {
  return state.status === 'None'
    ? { exists: false, active: false, authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile' }
    : {
        exists: true,
        active: state.status === 'Active',
        authenticateUsing: state.settings.authenticateUsing,
      };
}
