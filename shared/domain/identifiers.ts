/**
 * The ways a customer can be recognised, strongest first: when a touchpoint's identifiers point at
 * different customers, the touchpoint goes to the customer of the strongest one.
 */
export const identifierTypesByStrength = ['customerId', 'accountId', 'externalId', 'email', 'phone', 'invoiceNumber', 'anonymousId'] as const;

export type IdentifierType = (typeof identifierTypesByStrength)[number];

/** An identifier that is stored and looked up; `customerId` is the customer itself, never stored as one. */
export type StoredIdentifierType = Exclude<IdentifierType, 'customerId'>;

export interface Identifier {
  type: IdentifierType;
  /** Normalised: E.164 phone, lower-case email, trimmed numbers, `system:id` for an external id. */
  value: string;
}

/** The identifiers a touchpoint names, at most one of each type, normalised. */
export type NamedIdentifiers = Partial<Record<Exclude<IdentifierType, 'externalId'>, string>> & {
  externalId?: { system: string; id: string };
};

/** The identifiers of a request as a list, in the order they were named. */
export function toIdentifierList(identifiers: NamedIdentifiers): Identifier[] {
  const list: Identifier[] = [];
  for (const [type, value] of Object.entries(identifiers)) {
    if (value === undefined) continue;
    if (type === 'externalId' && typeof value === 'object') {
      list.push({ type, value: externalIdValue(value.system, value.id) });
    } else if (typeof value === 'string') {
      list.push({ type: type as Identifier['type'], value });
    }
  }
  return list;
}

export function strengthOf(type: IdentifierType): number {
  return identifierTypesByStrength.length - identifierTypesByStrength.indexOf(type);
}

export function byStrength(a: Identifier, b: Identifier): number {
  return strengthOf(b.type) - strengthOf(a.type) || a.value.localeCompare(b.value);
}

export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export function externalIdValue(system: string, id: string): string {
  return `${system}:${id}`;
}

export function identifierKey(identifier: Identifier): string {
  return `${identifier.type}#${identifier.value}`;
}
