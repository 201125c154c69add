import { createDynamoDbClient } from '../../shared/db/client.ts';
import { ensureTable } from '../../shared/db/create-table.ts';

/**
 * The bench's table, without the deployed table's stream. On AWS a stream costs a write nothing;
 * DynamoDB Local records every write into it at three to five times the write's own CPU (probed
 * 2 December 2026), which made the raw baseline look slower against the API than AWS would. The
 * bench reads no stream.
 */
export async function ensureBenchTable(endpoint: string, tableName: string): Promise<void> {
  const client = createDynamoDbClient({ endpoint, region: 'local' });
  try {
    await ensureTable(client, tableName, { stream: false });
  } finally {
    client.destroy();
  }
}
