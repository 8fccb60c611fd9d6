import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import {
  ACT_DELIVERY_METHODS,
  ActDeliveryMethod,
  INCOMING_EMAIL_DELIVERY_METHODS,
  IncomingEmailDeliveryMethod,
  OUTGOING_EMAIL_DELIVERY_METHODS,
  OutgoingEmailDeliveryMethod,
} from '@ssync/domain';
import { SameFields } from '../http/openapi';
import type { OrganizationSettingsView } from './organization';

@ApiSchema({
  name: 'OrganizationEmailSettings',
  description: 'Organization email configuration settings (O-1…O-3)',
})
export class OrganizationEmailSettingsBody implements OrganizationSettingsView {
  @ApiProperty({ type: String, nullable: true, description: 'O-1: the default email server profile' })
  defaultServerProfileId!: string | null;

  @ApiProperty({ enum: INCOMING_EMAIL_DELIVERY_METHODS, enumName: 'IncomingEmailDeliveryMethod' })
  incomingEmailDeliveryMethod!: IncomingEmailDeliveryMethod;

  @ApiProperty({ enum: OUTGOING_EMAIL_DELIVERY_METHODS, enumName: 'OutgoingEmailDeliveryMethod' })
  outgoingEmailDeliveryMethod!: OutgoingEmailDeliveryMethod;

  @ApiProperty({
    enum: ACT_DELIVERY_METHODS,
    enumName: 'ActDeliveryMethod',
    description: 'Appointments, contacts and tasks',
  })
  actDeliveryMethod!: ActDeliveryMethod;

  @ApiProperty({ description: 'O-3: a user mailbox processes email only once approved' })
  processEmailsOnlyForApprovedUsers!: boolean;

  @ApiProperty({ description: 'O-3: a queue mailbox processes email only once approved' })
  processEmailsOnlyForApprovedQueues!: boolean;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Their version; 0 until someone saves them' })
  version!: number;
}

const _sameAsView: SameFields<OrganizationSettingsView, OrganizationEmailSettingsBody> = true;
