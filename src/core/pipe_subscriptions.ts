/**
 * Which pipes a browser connection is subscribed to (docs/protocol/websocket.md §3.1): the
 * local registry, and with several nodes (issue 12) the presence engine and the pipe's broker
 * topic; plus the `track_*` events (S10) that subscribing and leaving send.
 */
import { pipeTopic } from "../cluster/broker.ts";
import type { Presence } from "../cluster/presence.ts";
import type { ClusterLink } from "./cluster_link.ts";
import type { ClusterMessage } from "./cluster_messages.ts";
import { trackMessage, unixNow } from "./messages.ts";
import type { PipeRegistry } from "./pipe_registry.ts";
import type { RecoveryWindow } from "./recovery_window.ts";
import type { Subscriber } from "./subscriber.ts";

export class PipeSubscriptions {
  /** Other nodes may exist: subscriptions are also told to presence and the broker. */
  private readonly clustered: boolean;

  constructor(
    private readonly pipes: PipeRegistry,
    private readonly presence: Presence,
    private readonly link: ClusterLink,
    private readonly window: RecoveryWindow,
  ) {
    this.clustered = link.clustered;
  }

  /**
   * Replaces the connection's pipe set (docs/protocol/websocket.md §3.1). Pipes kept in both lists
   * stay silent, so a resent list does not make `track_*` subscribers see
   * unsubscription/subscription pairs. With other nodes, resolves once their publishes to the new
   * pipes reach this node (the browser's next command runs after that).
   */
  set(sub: Subscriber, pipes: string[]): void | Promise<void> {
    let listening: Promise<void>[] | undefined;
    const wanted = new Set(pipes);
    for (const pipe of [...sub.pipes]) {
      if (!wanted.has(pipe)) this.leave(sub, pipe);
    }
    for (const pipe of wanted) {
      if (sub.pipes.has(pipe)) continue;
      // Registered cluster-wide before the track_ event goes out, so a subscriber that answers
      // the event with track_pipe_users finds the newcomer.
      if (this.clustered) this.presence.subscribed(sub, pipe);
      // Current subscribers hear about it; the subscriber itself never does.
      if (pipe.startsWith("track_")) this.announceTrack(sub, pipe, false);
      if (this.pipes.subscribe(sub, pipe) && this.clustered) {
        (listening ??= []).push(this.listenToPipe(sub.devId, pipe));
      }
    }
    if (listening !== undefined) return Promise.all(listening).then(() => {});
  }

  /** The connection leaves every pipe (its transport closed). */
  leaveAll(sub: Subscriber): void {
    for (const pipe of [...sub.pipes]) this.leave(sub, pipe);
  }

  /** Listens to a pipe's topic; starting to listen begins a new epoch of the pipe here. */
  listenToPipe(devId: number, pipe: string): Promise<void> {
    return this.link.listen(pipeTopic(devId, pipe), () => this.window.forget(devId, pipe));
  }

  /** S10 to the pipe's subscribers on every node (also for connections another node lost). */
  announceTrackOf(
    devId: number,
    pipe: string,
    userId: number,
    uuid: string,
    unsubscribed: boolean,
  ): void {
    const kind = unsubscribed ? "unsubscription" : "subscription";
    const time = unixNow();
    this.pipes.fanout(devId, pipe, trackMessage(pipe, kind, userId, uuid, time));
    if (!this.clustered) return;
    const m: ClusterMessage = { kind: "track", devId, pipe, unsubscribed, userId, uuid, time };
    this.link.announce(pipeTopic(devId, pipe), m, "track event");
  }

  /** Unsubscribes; the remaining subscribers of a `track_*` pipe hear about it (S10). */
  private leave(sub: Subscriber, pipe: string): void {
    if (this.pipes.unsubscribe(sub, pipe) && this.clustered) {
      this.link.unlisten(pipeTopic(sub.devId, pipe));
    }
    if (this.clustered) this.presence.unsubscribed(sub, pipe);
    if (pipe.startsWith("track_")) this.announceTrack(sub, pipe, true);
  }

  private announceTrack(sub: Subscriber, pipe: string, unsubscribed: boolean): void {
    this.announceTrackOf(sub.devId, pipe, sub.userId, sub.uuid, unsubscribed);
  }
}
