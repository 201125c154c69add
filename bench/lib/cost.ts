import { lambdaMemoryMb, prices } from '../prices.ts';

export interface CostInputs {
  /** Read units as DynamoDB reported them; write units as AWS would bill them (the cost probe). */
  readUnitsPerRequest: number;
  writeUnitsPerRequest: number;
  /** Mean billed Lambda duration per request (each invocation rounded up to 1 ms). */
  billedMsPerRequest: number;
}

export interface CostPerMillion {
  httpApi: number;
  lambdaRequests: number;
  lambdaDuration: number;
  dynamoDbWrites: number;
  dynamoDbReads: number;
  total: number;
}

/** Dollars per million requests of one kind, from measured capacity and duration at list prices. */
export function costPerMillion(inputs: CostInputs): CostPerMillion {
  const gbSecondsPerRequest = (lambdaMemoryMb / 1024) * (inputs.billedMsPerRequest / 1000);
  const parts = {
    httpApi: prices.httpApiPerMillionRequests,
    lambdaRequests: prices.lambdaPerMillionRequests,
    lambdaDuration: gbSecondsPerRequest * prices.lambdaArmPerGbSecond * 1_000_000,
    dynamoDbWrites: inputs.writeUnitsPerRequest * prices.dynamoDbPerMillionWriteUnits,
    dynamoDbReads: inputs.readUnitsPerRequest * prices.dynamoDbPerMillionReadUnits,
  };
  return { ...parts, total: Object.values(parts).reduce((sum, value) => sum + value, 0) };
}
