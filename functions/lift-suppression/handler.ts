import { privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { liftSuppression } from '../../shared/privacy/lift-suppression.ts';
import { suppressionPathSchema } from '../../shared/schemas/privacy.ts';

/**
 * Touchpoints carrying the identifier are accepted again from now on. 204 for any well-formed hash,
 * whether this request lifted it or an earlier one did (a retry after a lost answer must not look
 * like a failure): the outcome asked for, no suppression under this hash, holds either way.
 */
export async function liftSuppressionRoute(event: ApiEvent): Promise<ApiResponse> {
  const { hash } = parseWith(suppressionPathSchema, event.pathParameters ?? {}, 'path');
  await liftSuppression(privacyStore(), hash);
  return { statusCode: 204 };
}

export const handler = apiHandler(liftSuppressionRoute);
