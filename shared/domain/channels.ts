/** The channels a touchpoint arrives by: the domain's own list, which the wire schemas validate against. */
export const channels = ['call', 'email', 'invoice_query', 'web_visit', 'letter', 'chat', 'sms', 'in_person'] as const;

export type Channel = (typeof channels)[number];
