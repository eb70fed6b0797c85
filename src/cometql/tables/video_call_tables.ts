/**
 * `conference`, `conference_members`, `dialogs` (docs/protocol/cometql.md §7.10): the original's
 * FreeSWITCH video calls. We do not implement FreeSWITCH integration; these tables answer with
 * clear errors (texts of the original where it had one).
 */
import { Errors } from "../cometql_error.ts";
import type { CometqlTable } from "./cometql_table.ts";

const notSupported = (table: string) =>
  Errors.notReady(`Table \`${table}\` is not supported: video calls need FreeSWITCH`);

export const conference: CometqlTable = {
  name: "conference",
  comment: "Video call bookings (not supported)",
  columns: [
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "user_id", sqlType: "int(11)" },
    { name: "caller_id", sqlType: "int(11)" },
    { name: "message", sqlType: "text" },
    { name: "profile", sqlType: "varchar(64)" },
    { name: "stream", sqlType: "varchar(255)" },
    { name: "node", sqlType: "varchar(255)" },
  ],
  refuses: {
    select: notSupported("conference"),
    insert: notSupported("conference"),
    delete: notSupported("conference"),
  },
};

export const conferenceMembers: CometqlTable = {
  name: "conference_members",
  comment: "Live video call members (not supported)",
  columns: [
    { name: "name", sqlType: "varchar(64)", key: true },
    { name: "user_id", sqlType: "int(11)" },
    { name: "join_time", sqlType: "int(11)" },
    { name: "last_talking", sqlType: "int(11)" },
  ],
  refuses: {
    select: notSupported("conference_members"),
    insert: Errors.notReady("insert into `conference_members` is not ready yet"),
    delete: Errors.notReady("delete from `conference_members` is not ready yet"),
  },
};

export const dialogs: CometqlTable = {
  name: "dialogs",
  comment: "Not implemented in the original either",
  columns: [],
  refuses: {
    select: Errors.noTable,
    insert: Errors.notReady("Table `dialogs` is not ready yet"),
    delete: Errors.noTable,
  },
};
