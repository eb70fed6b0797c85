/**
 * One CometQL connection as a state machine over packets: handshake → (auth switch) → commands
 * (docs/protocol/cometql.md §2.3, §2.5). It knows nothing of sockets: the listener feeds packets
 * and flushes `out`.
 */
import { type CometqlError, Errors, isCometqlError } from "./cometql_error.ts";
import type { CometqlNode } from "./cometql_node.ts";
import {
  type HandshakeResponse,
  makeScramble,
  nativePasswordMatches,
  needsAuthSwitch,
  parseHandshakeResponse,
  writeAuthSwitch,
  writeHandshake,
} from "./wire/handshake.ts";
import { Capability, Command, ServerStatus } from "./wire/mysql_constants.ts";
import type { Packet } from "./wire/packet_reader.ts";
import {
  appendLongData,
  boundQueryText,
  clearLongData,
  type PreparedStatement,
  prepareStatement,
  writePrepareOk,
} from "./prepared_statements.ts";
import { runPipeInsert, runQuery } from "./execution/query_executor.ts";
import {
  writeBinaryResultSet,
  writeEof,
  writeErr,
  writeOk,
  writeTextResultSet,
} from "./wire/reply_encoder.ts";
import type { SessionContext } from "./session_context.ts";
import { OK_EMPTY, type StatementResult } from "./statement_result.ts";
import { devIdOfUser, selectDatabase } from "./tenant_selection.ts";
import { decodeUtf8, encodeUtf8, MalformedPacket, WireWriter } from "./wire/wire_buffer.ts";

const enum Phase {
  Handshake,
  AuthSwitch,
  Command,
}

const STATUS = ServerStatus.AUTOCOMMIT;

export class CometqlSession implements SessionContext {
  devId = 0;
  database: string | null = null;
  user = "";
  lastInsertId = 0;
  multiStatements = false;
  /** Replies waiting to be written; the listener flushes after each batch of packets. */
  readonly out = new WireWriter();
  /** Set when the connection must be closed once `out` is flushed. */
  closing = false;
  private phase = Phase.Handshake;
  /** Logged in with the password (not a `haproxy_check` probe): may run statements. */
  authenticated = false;
  private loggedIn = false;
  private readonly scramble = makeScramble();
  private pendingLogin: HandshakeResponse | undefined;
  private readonly statements = new Map<number, PreparedStatement>();
  private nextStatementId = 1;

  constructor(
    readonly node: CometqlNode,
    readonly connectionId: number,
    readonly host: string,
  ) {
    writeHandshake(this.out, connectionId, this.scramble);
  }

  /**
   * Handles one packet; never throws (a malformed packet → ERR, then close). Returns a promise
   * only when the packet waits for something (login, storage): most commands, and the hot
   * INSERT always, are answered synchronously, without a promise per query.
   */
  handle(packet: Packet): Promise<void> | undefined {
    try {
      const pending = this.phase === Phase.Command ? this.command(packet) : this.login(packet);
      return pending instanceof Promise ? pending.catch((e) => this.failed(e)) : undefined;
    } catch (e) {
      this.failed(e);
      return undefined;
    }
  }

  private failed(e: unknown): void {
    if (!(e instanceof MalformedPacket)) {
      this.node.log.error(
        "cometql",
        `connection ${this.connectionId}: ${(e as Error)?.stack ?? e}`,
      );
    }
    this.fail(e instanceof MalformedPacket ? Errors.malformed : Errors.internal);
  }

  /** The connection ended: undo what login counted. */
  closed(): void {
    if (!this.loggedIn) return;
    this.loggedIn = false;
    this.node.stats.qlOnline--;
    this.node.stats.qlDisconnectsTotal++;
  }

  /** ERR, then close. */
  fail(err: CometqlError): void {
    writeErr(this.out, err);
    this.closing = true;
  }

  // ---- connection phase (docs/protocol/cometql.md §2.3) ----

  private async login(packet: Packet): Promise<void> {
    this.out.seq = (packet.seq + 1) & 0xff;
    if (this.phase === Phase.AuthSwitch) {
      const response = this.pendingLogin!;
      this.pendingLogin = undefined;
      return await this.finishLogin(response, packet.payload);
    }
    let response: HandshakeResponse;
    try {
      response = parseHandshakeResponse(packet.payload);
    } catch (e) {
      if (e instanceof MalformedPacket) return this.fail(Errors.authFailure);
      throw e;
    }
    if (response.sslRequest) return this.fail(Errors.authFailure);
    // docs/protocol/cometql.md §2.3: load-balancer health checks log in without a password and stay
    // unauthenticated.
    if (response.user.startsWith("haproxy_check") && response.authResponse.length === 0) {
      this.phase = Phase.Command;
      return writeOk(this.out, OK_EMPTY, STATUS);
    }
    if (needsAuthSwitch(response, this.node.config.main.password)) {
      this.pendingLogin = response;
      this.phase = Phase.AuthSwitch;
      return writeAuthSwitch(this.out, this.scramble);
    }
    await this.finishLogin(response, response.authResponse);
  }

  private async finishLogin(response: HandshakeResponse, auth: Uint8Array): Promise<void> {
    const devId = devIdOfUser(response.user, this.node.config.main.devIndexSize);
    const passwordOk = await nativePasswordMatches(
      this.node.config.main.password,
      this.scramble,
      auth,
    );
    if (devId === undefined || !passwordOk) return this.fail(Errors.authFailure);
    this.devId = devId;
    this.user = response.user;
    this.multiStatements = (response.capabilities & Capability.MULTI_STATEMENTS) !== 0;
    // MySQL treats an empty database name as none (mysqljs always sends one,
    // docs/protocol/cometql.md §2.3).
    if (response.database) {
      const err = selectDatabase(this, response.database);
      if (err) return this.fail(err);
    }
    this.authenticated = true;
    this.loggedIn = true;
    this.node.stats.qlOnline++;
    this.node.stats.qlConnectsTotal++;
    this.phase = Phase.Command;
    writeOk(this.out, OK_EMPTY, STATUS);
  }

  // ---- command phase (docs/protocol/cometql.md §2.5) ----

  private command(packet: Packet): Promise<void> | void {
    // Every command starts a new sequence; anything else is not a MySQL client talking.
    if (packet.firstSeq !== 0 || packet.payload.length === 0) {
      this.closing = true;
      return;
    }
    this.out.seq = (packet.seq + 1) & 0xff;
    const payload = packet.payload;
    switch (payload[0]) {
      case Command.QUIT:
        this.closing = true;
        return;
      case Command.PING:
        return writeOk(this.out, OK_EMPTY, STATUS);
      case Command.INIT_DB: {
        const err = selectDatabase(this, decodeUtf8(payload.subarray(1)));
        return err ? writeErr(this.out, err) : writeOk(this.out, OK_EMPTY, STATUS);
      }
      case Command.QUERY: {
        if (!this.authenticated) return this.replyOne(Errors.accessDenied, STATUS, false);
        const text = decodeUtf8(payload.subarray(1));
        const hot = runPipeInsert(this, text, payload.length - 1);
        if (hot instanceof Promise) return hot.then((r) => this.replyOne(r, STATUS, false));
        if (hot !== undefined) return this.replyOne(hot, STATUS, false);
        return this.query(text, payload.length - 1);
      }
      case Command.FIELD_LIST: // docs/protocol/cometql.md §2.5: a lone EOF (no column definitions)
        return writeEof(this.out, STATUS);
      case Command.STATISTICS:
        // A health probe (haproxy_check, not authenticated) learns that the server is up, no more.
        if (!this.authenticated) {
          return this.out.packet(encodeUtf8("Server is up (log in for statistics)"));
        }
        return this.out.packet(encodeUtf8(this.statistics()));
      case Command.SET_OPTION: // mysqli_multi_query turns multi-statements on and off; EOF
        return this.setOption(payload);
      case Command.RESET_CONNECTION:
        this.statements.clear();
        this.lastInsertId = 0;
        return writeOk(this.out, OK_EMPTY, STATUS);
      case Command.STMT_PREPARE:
        this.node.stats.qlStmtPrepares++;
        return this.prepare(payload);
      case Command.STMT_EXECUTE:
        this.node.stats.qlStmtExecutes++;
        return this.execute(payload);
      case Command.STMT_SEND_LONG_DATA: // no reply
        return appendLongData(this.statements, payload, this.node.config.limits.cometqlLongDataMax);
      case Command.STMT_CLOSE: // no reply
        if (payload.length < 5) throw new MalformedPacket("statement id");
        this.statements.delete(
          new DataView(payload.buffer, payload.byteOffset + 1).getUint32(0, true),
        );
        return;
      case Command.STMT_RESET: {
        if (payload.length < 5) throw new MalformedPacket("statement id");
        const id = new DataView(payload.buffer, payload.byteOffset + 1).getUint32(0, true);
        const stmt = this.statements.get(id);
        if (stmt === undefined) return writeErr(this.out, Errors.unknownStatement);
        clearLongData(stmt);
        return writeOk(this.out, OK_EMPTY, STATUS);
      }
      default:
        return writeErr(this.out, Errors.unknownCommand);
    }
  }

  /** COM_SET_OPTION: option 0 MULTI_STATEMENTS_ON, 1 MULTI_STATEMENTS_OFF (MySQL answers EOF). */
  private setOption(payload: Uint8Array): void {
    if (payload.length < 3) throw new MalformedPacket("option");
    const option = payload[1] | (payload[2] << 8);
    if (option > 1) return writeErr(this.out, Errors.unknownCommand);
    this.multiStatements = option === 0;
    writeEof(this.out, STATUS);
  }

  private async query(text: string, byteLength: number): Promise<void> {
    this.reply(await runQuery(this, text, byteLength), false);
  }

  private async prepare(payload: Uint8Array): Promise<void> {
    if (!this.authenticated) return writeErr(this.out, Errors.accessDenied);
    const max = this.node.config.limits.cometqlPreparedMax;
    if (this.statements.size >= max) return this.reply([Errors.tooManyStatements(max)], true);
    const id = this.nextStatementId++;
    const stmt = await prepareStatement(this, id, decodeUtf8(payload.subarray(1)));
    if (isCometqlError(stmt)) return this.reply([stmt], true);
    this.statements.set(id, stmt);
    writePrepareOk(this.out, stmt, STATUS, this.node.config.cometql.maxQuerySize);
  }

  private async execute(payload: Uint8Array): Promise<void> {
    if (!this.authenticated) return writeErr(this.out, Errors.accessDenied);
    const text = boundQueryText(
      this.statements,
      payload,
      this.node.config.limits.cometqlLongDataMax,
    );
    if (text === undefined) return this.reply([Errors.unknownStatement], true);
    if (typeof text !== "string") return this.reply([text], true);
    this.reply(await runQuery(this, text, encodeUtf8(text).length, true), true);
  }

  /** One reply per result; all but the last carry SERVER_MORE_RESULTS_EXISTS. */
  private reply(results: StatementResult[], binary: boolean): void {
    const last = results.length - 1;
    for (let i = 0; i <= last; i++) {
      this.replyOne(
        results[i],
        i < last ? STATUS | ServerStatus.MORE_RESULTS_EXISTS : STATUS,
        binary,
      );
    }
  }

  private replyOne(result: StatementResult, status: number, binary: boolean): void {
    if (result.kind === "ok") writeOk(this.out, result, status);
    else if (result.kind === "rows") {
      if (binary) writeBinaryResultSet(this.out, result, status);
      else writeTextResultSet(this.out, result, status);
    } else {
      this.node.stats.qlErrors++;
      writeErr(this.out, result);
    }
  }

  /** COM_STATISTICS: MySQL's one-line status text. */
  private statistics(): string {
    const s = this.node.stats;
    const uptime = Math.max(1, s.uptimeSeconds());
    return `Uptime: ${uptime}  Threads: ${s.qlOnline}  Questions: ${s.qlQueries}  ` +
      `Slow queries: 0  Opens: 0  Flush tables: 0  Open tables: 0  ` +
      `Queries per second avg: ${(s.qlQueries / uptime).toFixed(3)}`;
  }
}
