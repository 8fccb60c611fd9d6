import { randomUUID } from 'node:crypto';
import { MailboxCommand } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';

/** Provisions through the command bus in batches (the HTTP path is covered by mailboxes.int-spec.ts). */
export async function provisionMany(
  gateway: KafkaCommandGateway,
  count: number,
  prefix = 'bulk',
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 500) {
    const issuedAt = new Date().toISOString();
    const outcomes = await Promise.all(
      await gateway.sendBatch<MailboxCommand>(
        ids.slice(i, i + 500).map((mailboxId, j) => {
          const command: MailboxCommand = {
            type: 'ProvisionMailbox',
            commandId: randomUUID(),
            actor: 'dev-admin',
            issuedAt,
            mailboxId,
            kind: (i + j) % 10 === 0 ? 'Queue' : 'User',
            settings: {
              name: `${prefix} ${i + j}`,
              emailAddress: `${prefix}${i + j}@contoso.com`,
              ownerId: 'owner-1',
            },
          };
          return {
            aggregateType: 'mailbox' as const,
            aggregateId: mailboxId,
            type: command.type,
            actor: 'dev-admin',
            command,
            commandId: command.commandId,
            issuedAt,
          };
        }),
      ),
    );
    const refused = outcomes.filter((o) => !o.accepted);
    if (refused.length > 0) throw new Error(`provisioning refused: ${JSON.stringify(refused[0]!.error)}`);
  }
  return ids;
}
