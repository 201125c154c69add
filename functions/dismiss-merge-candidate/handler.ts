import { dismissMergeCandidate } from '../../shared/domain/merge-candidates.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';

export async function dismissMergeCandidateRoute(event: ApiEvent): Promise<ApiResponse> {
  const candidateId = event.pathParameters?.candidateId ?? '';
  await dismissMergeCandidate(customerStore(), candidateId);
  return { statusCode: 200, body: { candidateId, status: 'dismissed' } };
}

export const handler = apiHandler(dismissMergeCandidateRoute);
