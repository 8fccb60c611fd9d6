/** The EWS address most profiles here are created with; int tests store it and never call it. */
export const EWS = 'http://127.0.0.1:8085/EWS/Exchange.asmx';

/** Server-side sync for incoming email, outgoing email and appointments, contacts and tasks. */
export const SSS = {
  incomingEmailDeliveryMethod: 'ServerSideSync',
  outgoingEmailDeliveryMethod: 'ServerSideSync',
  actDeliveryMethod: 'ServerSideSync',
};
