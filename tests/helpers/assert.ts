/** Assertions for tests: node's strict assert, plus the name Deno tests usually use. */
import assert from "node:assert/strict";

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

export { assert };
