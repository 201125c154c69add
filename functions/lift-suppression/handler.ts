import { NotFoundError } from '../../shared/domain/errors.ts';
import { privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { suppressionPathSchema } from '../../shared/schemas/privacy.ts';

/** Touchpoints carrying the identifier are accepted again from now on. */
export async function liftSuppressionRoute(event: ApiEvent): Promise<ApiResponse> {
  const { hash } = parseWith(suppressionPathSchema, event.pathParameters ?? {}, 'path');
  if (!(await privacyStore().deleteSuppression(hash))) throw new NotFoundError('No suppression has this hash.');
  return { statusCode: 204 };
}

export const handler = apiHandler(liftSuppressionRoute);
