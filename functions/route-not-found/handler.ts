import { type ApiEvent, apiHandler } from '../../shared/http/api-handler.ts';
import { HttpProblemError, problem } from '../../shared/http/problems.ts';

/** Behind the HTTP API's `$default` route: an unknown route answers with problem details, like every error. */
export async function routeNotFound(event: ApiEvent): Promise<never> {
  const { method, path } = event.requestContext.http;
  throw new HttpProblemError(problem(404, 'route-not-found', 'Not found', `No route matches ${method} ${path}.`));
}

export const handler = apiHandler(routeNotFound);
