/**
 * LIMIT with MySQL's meaning: skip `offset`, keep `count` (docs/compatibility.md point 2;
 * docs/protocol/cometql.md §5.4 BUG).
 */
import type { Limit } from "../sql/statement.ts";

export function applyLimit<T>(all: T[], limit: Limit | undefined): T[] {
  if (limit === undefined) return all;
  if (limit.offset === 0 && limit.count >= all.length) return all;
  return all.slice(limit.offset, limit.offset + limit.count);
}
