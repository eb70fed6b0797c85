/**
 * A browser `web_pipe2` (S3) on the recovery window every node shares (`[redis]`, recovery on,
 * docs/protocol/recovery.md §5): Redis positions the message and hands it to every node, this
 * one too, and each delivers it; the sender is recognised by the publish's origin and not
 * echoed, and gets its S4 only once this node delivered the message.
 */
import { pipeTopic } from "../cluster/broker.ts";
import type { Presence } from "../cluster/presence.ts";
import type { Config } from "../config/config.ts";
import type { ClusterLink } from "./cluster_link.ts";
import { encodeUnpositioned } from "./cluster_messages.ts";
import { webPipeMessage } from "./messages.ts";
import type { PipeRegistry } from "./pipe_registry.ts";
import type { SharedRecoveryWindow, StreamPosition } from "./recovery_window.ts";
import type { Subscriber } from "./subscriber.ts";

/** What a browser publish gives the sender's S4: the delivered count and the stream position. */
export interface BrowserPublish {
  delivered: number;
  at: StreamPosition | undefined;
}

export class SharedBrowserPublish {
  /** Browser publishes whose S4 waits until their S3 went out here (by origin). */
  private awaitingDelivery = new Map<string, () => void>();
  private browserPublishes = 0;

  constructor(
    private readonly config: Config,
    private readonly sharedWindow: SharedRecoveryWindow,
    private readonly pipes: PipeRegistry,
    private readonly presence: Presence,
    private readonly link: ClusterLink,
  ) {}

  /**
   * `web_pipe2` on the shared window: every node (this one too) delivers it as Redis positions
   * it, the sender excluded by its origin. Redis unreachable: this node's subscribers only,
   * without a position (as any publish while the link is down).
   */
  publish(
    sub: Subscriber,
    pipe: string,
    event: string,
    body: string,
    userId: number,
    time: number,
  ): Promise<BrowserPublish> {
    const devId = sub.devId;
    const origin = `${this.sharedWindow.nodeId}:${sub.id}:${++this.browserPublishes}`;
    // A sender subscribed to the pipe gets its S4 (with the position) only after this node
    // delivered the message: earlier offsets of other publishers, still on their way through
    // Redis, then reach it first, and our client never takes a later position before them.
    const here = sub.pipes.has(pipe) ? this.deliveredHere(origin) : undefined;
    const head = encodeUnpositioned({
      kind: "web",
      devId,
      pipe,
      event,
      body,
      userId,
      time,
      origin,
    });
    return Promise.all([
      this.sharedWindow.publish(devId, pipe, pipeTopic(devId, pipe), head),
      this.presence.subscriberCount(devId, pipe),
    ]).then(
      async ([p, total]) => {
        await here;
        return { delivered: Math.max(0, total - (sub.pipes.has(pipe) ? 1 : 0)), at: p.at };
      },
      (e) => {
        this.awaitingDelivery.get(origin)?.();
        this.link.failed("web_pipe2", e);
        const message = webPipeMessage(pipe, event, body, userId, time);
        return { delivered: this.pipes.fanout(devId, pipe, message, sub), at: undefined };
      },
    );
  }

  /** The cluster inbox delivered this node's browser publish `origin` here. */
  delivered(origin: string): void {
    this.awaitingDelivery.get(origin)?.();
  }

  /** Resolves once the inbox delivered the publish `origin` here, or after the command timeout. */
  private deliveredHere(origin: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.awaitingDelivery.delete(origin);
        resolve();
      };
      const timer = setTimeout(done, this.config.redis?.commandTimeoutMs ?? 2000);
      this.awaitingDelivery.set(origin, done);
    });
  }
}
