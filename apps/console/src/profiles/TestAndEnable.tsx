import { JobResults } from '../jobs/JobResults';

/**
 * P-13: the progress of a profile's Test & Enable (its jobs at GET /api/v1/jobs/{id}), then a row per mailbox,
 * failures first, each with its reason.
 */
export function TestAndEnableResults({ profileId, jobIds }: { profileId: string; jobIds: string[] }) {
  return (
    <JobResults
      idPrefix="tae"
      title="Test & Enable Mailboxes"
      jobIds={jobIds}
      lookup={{ serverProfileId: profileId }}
    />
  );
}
