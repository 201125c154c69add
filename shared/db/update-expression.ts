/**
 * The one builder of UpdateItem expressions. Every attribute it writes goes through
 * ExpressionAttributeNames (`#u0`, `#u1`, ...), so no path can trip over one of DynamoDB's
 * ~570 reserved words (`status`, `shared`, `name`, ...), and every value through a placeholder of
 * its own (`:u0`, ...). Guards are written by hand (`when`) with their own placeholders, which never
 * take the `u<n>` form.
 */

/** A top-level attribute, or the segments of a nested one (map keys included: each is named, dots and all). */
export type AttributePath = string | readonly string[];

export interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

const generated = /^[#:]u\d+$/;

export class UpdateBuilder {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly adds: string[] = [];
  private readonly conditions: string[] = [];
  private readonly names: Record<string, string> = {};
  private readonly placeholderOfName = new Map<string, string>();
  private readonly values: Record<string, unknown> = {};
  private valueCount = 0;

  set(path: AttributePath, value: unknown): this {
    this.sets.push(`${this.path(path)} = ${this.value(value)}`);
    return this;
  }

  /** Sets an attribute to another attribute's stored value (DynamoDB refuses the update when the source is missing: guard on it). */
  copy(path: AttributePath, from: AttributePath): this {
    this.sets.push(`${this.path(path)} = ${this.path(from)}`);
    return this;
  }

  /** Writes the value only where the attribute has none yet (first-seen times, an index position). */
  setIfMissing(path: AttributePath, value: unknown): this {
    const name = this.path(path);
    this.sets.push(`${name} = if_not_exists(${name}, ${this.value(value)})`);
    return this;
  }

  /** Appends to a list; `orEmpty` starts the list when the attribute is missing (list_append refuses a missing one). */
  append(path: AttributePath, items: readonly unknown[], options: { orEmpty?: boolean } = {}): this {
    const name = this.path(path);
    const list = options.orEmpty ? `if_not_exists(${name}, ${this.value([])})` : name;
    this.sets.push(`${name} = list_append(${list}, ${this.value(items)})`);
    return this;
  }

  /** Adds to a number (a missing one counts as 0): a counter that needs no read. */
  add(path: AttributePath, amount: number): this {
    this.adds.push(`${this.path(path)} ${this.value(amount)}`);
    return this;
  }

  remove(...paths: AttributePath[]): this {
    for (const path of paths) this.removes.push(this.path(path));
    return this;
  }

  /** A guard, ANDed with the others; its placeholders are its own (never `#u<n>` or `:u<n>`). */
  when(expression: string, values: Record<string, unknown> = {}, names: Record<string, string> = {}): this {
    for (const [placeholder, value] of Object.entries(values)) this.own(this.values, placeholder, value);
    for (const [placeholder, name] of Object.entries(names)) this.own(this.names, placeholder, name);
    this.conditions.push(expression);
    return this;
  }

  build(): UpdateParts {
    const clauses = [
      this.sets.length ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length ? `REMOVE ${this.removes.join(', ')}` : '',
      this.adds.length ? `ADD ${this.adds.join(', ')}` : '',
    ].filter(Boolean);
    if (clauses.length === 0) throw new Error('An update must change something');
    return {
      UpdateExpression: clauses.join(' '),
      ...(this.conditions.length ? { ConditionExpression: this.conditions.join(' AND ') } : {}),
      // DynamoDB refuses an empty map as firmly as an unused placeholder.
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: { ...this.names } } : {}),
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: { ...this.values } } : {}),
    };
  }

  private path(path: AttributePath): string {
    const segments = typeof path === 'string' ? [path] : path;
    if (segments.length === 0) throw new Error('An attribute path needs at least one segment');
    return segments.map((segment) => this.name(segment)).join('.');
  }

  private name(attribute: string): string {
    let placeholder = this.placeholderOfName.get(attribute);
    if (!placeholder) {
      placeholder = `#u${this.placeholderOfName.size}`;
      this.placeholderOfName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  private value(value: unknown): string {
    const placeholder = `:u${this.valueCount}`;
    this.valueCount += 1;
    this.values[placeholder] = value;
    return placeholder;
  }

  private own(target: Record<string, unknown>, placeholder: string, value: unknown): void {
    if (generated.test(placeholder)) throw new Error(`Placeholder ${placeholder} is the builder's own`);
    if (placeholder in target && target[placeholder] !== value) throw new Error(`Placeholder ${placeholder} stands for two values`);
    target[placeholder] = value;
  }
}

export const updateExpression = () => new UpdateBuilder();
