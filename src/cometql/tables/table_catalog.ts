/**
 * Every CometQL table by name (docs/protocol/cometql.md §7), in the order SHOW TABLES lists them
 * (docs/protocol/cometql.md §6.2).
 */
import type { CometqlTable } from "./cometql_table.ts";
import { pipes } from "./pipes.ts";
import { pipesMessages } from "./pipes_messages.ts";
import { pipesSettings } from "./pipes_settings.ts";
import { revokedTokens } from "./revoked_tokens.ts";
import { usersAuth } from "./users_auth.ts";
import { usersData } from "./users_data.ts";
import { usersInPipes } from "./users_in_pipes.ts";
import { usersMessages } from "./users_messages.ts";
import { usersTime } from "./users_time.ts";
import { conference, conferenceMembers, dialogs } from "./video_call_tables.ts";

/** Listed by SHOW TABLES: the original's seven, then the two it served without listing. */
export const LISTED_TABLES: readonly CometqlTable[] = [
  usersAuth,
  usersTime,
  usersMessages,
  pipesMessages,
  usersInPipes,
  pipes,
  pipesSettings,
  usersData,
  revokedTokens,
];

const ALL = new Map<string, CometqlTable>(
  [...LISTED_TABLES, conference, conferenceMembers, dialogs].map((t) => [t.name, t]),
);

/** Table names are case-sensitive, as in MySQL on Linux (docs/protocol/cometql.md §4.2). */
export function findTable(name: string): CometqlTable | undefined {
  return ALL.get(name);
}
