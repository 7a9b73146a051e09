import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts every request sent (retries included) per endpoint label, and per scope (a step id) for
 * whatever code runs inside `withScope`; and the 429 answers per endpoint label.
 */
export class CallCounter {
  readonly byLabel: Record<string, number> = {};
  readonly throttledByLabel: Record<string, number> = {};
  readonly byScope: Record<string, number> = {};
  private readonly scope = new AsyncLocalStorage<string>();

  withScope<T>(scopeId: string, fn: () => Promise<T>): Promise<T> {
    return this.scope.run(scopeId, fn);
  }

  count(label: string): void {
    this.byLabel[label] = (this.byLabel[label] ?? 0) + 1;
    const scopeId = this.scope.getStore();
    if (scopeId !== undefined) this.byScope[scopeId] = (this.byScope[scopeId] ?? 0) + 1;
  }

  throttled(label: string): void {
    this.throttledByLabel[label] = (this.throttledByLabel[label] ?? 0) + 1;
  }
}
