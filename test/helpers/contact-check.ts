import { handler as checkContactHandler } from '../../functions/check-contact/handler.ts';
import { apiEvent, invoke } from './api-event.ts';

/** GET /v1/customers/{customerId}/contact-check through its handler, as API Gateway would invoke it. */
export function contactCheck(customerId: string, query: Record<string, string>) {
  return invoke(
    checkContactHandler,
    apiEvent({
      routePath: '/v1/customers/{customerId}/contact-check',
      path: `/v1/customers/${customerId}/contact-check`,
      pathParameters: { customerId },
      query,
    }),
  );
}
