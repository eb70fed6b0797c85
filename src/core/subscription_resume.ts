/**
 * The `resume` command for a connection's whole pipe list (docs/protocol/recovery.md §3, §5):
 * subscribes like `PipeSubscriptions.set`, and each newly subscribed pipe first gets what it
 * missed. On one node (and with several nodes but no shared window) everything runs
 * synchronously; on the shared window the streams are read while what arrives live is held.
 * Per pipe, `stream_resume.ts` sends the replay and the outcome.
 */
import { pipeTopic } from "../cluster/broker.ts";
import type { ClusterLink } from "./cluster_link.ts";
import type { NodeStats } from "./node_stats.ts";
import type { PipeSubscriptions } from "./pipe_subscriptions.ts";
import type { Recovery, RecoveryWindow, SharedRecoveryWindow } from "./recovery_window.ts";
import type { ResumeBuffers } from "./resume_buffers.ts";
import { finishSharedResume, resumePipe, type ResumeRequest } from "./stream_resume.ts";
import type { Subscriber } from "./subscriber.ts";

/** What a resume works with; `gone(sub)` tells whether the connection left the core. */
export interface ResumeParts {
  subscriptions: PipeSubscriptions;
  window: RecoveryWindow;
  /** The recovery window every node shares (`[redis]`, recovery on), else undefined. */
  sharedWindow: SharedRecoveryWindow | undefined;
  /** Live messages held for resumes in flight (filled by the cluster inbox). */
  resuming: ResumeBuffers;
  link: ClusterLink;
  stats: NodeStats;
  gone(sub: Subscriber): boolean;
}

export class SubscriptionResume {
  constructor(private readonly parts: ResumeParts) {}

  /**
   * Like `PipeSubscriptions.set`, with a stream position per pipe to resume from: each newly
   * subscribed pipe first gets what it missed, then live messages (docs/protocol/recovery.md §3).
   * All of it runs synchronously, so no publish can fall between the replay and the live stream.
   */
  resume(sub: Subscriber, wanted: ResumeRequest[]): void | Promise<void> {
    const { subscriptions, window, stats, link } = this.parts;
    const fresh = wanted.filter((w) => !sub.pipes.has(w.pipe));
    const resume = () => {
      subscriptions.set(sub, wanted.map((w) => w.pipe));
      for (const w of fresh) stats.resumed[resumePipe(window, sub, w)]++;
    };
    if (!link.clustered || fresh.length === 0) return resume();
    if (this.parts.sharedWindow !== undefined) return this.resumeShared(sub, wanted, fresh);
    // Several nodes without the shared window (recovery off: nothing is vouched for): listen to
    // the new pipes first (a pipe this node starts listening to gets a new epoch), then resume
    // synchronously as on one node.
    const topics = fresh.map((w) => pipeTopic(sub.devId, w.pipe));
    return Promise.all(fresh.map((w) => subscriptions.listenToPipe(sub.devId, w.pipe))).then(
      () => {
        resume();
        for (const topic of topics) link.unlisten(topic);
      },
    );
  }

  /**
   * A resume on the shared window (docs/protocol/recovery.md §5): listen to the new pipes and
   * hold what they receive, read their streams, then (synchronously) subscribe, replay, and send
   * what was held above the last replayed offset: no gap, no duplicate at the boundary.
   */
  private async resumeShared(
    sub: Subscriber,
    wanted: ResumeRequest[],
    fresh: ResumeRequest[],
  ): Promise<void> {
    const { subscriptions, resuming, link, stats } = this.parts;
    const shared = this.parts.sharedWindow!;
    const held = fresh.map((w) => resuming.start(sub.devId, w.pipe));
    const topics = fresh.map((w) => pipeTopic(sub.devId, w.pipe));
    try {
      await Promise.all(topics.map((topic) => link.listen(topic)));
      const answers = await Promise.all(
        fresh.map((w) =>
          shared.since(sub.devId, w.pipe, typeof w.from === "object" ? w.from : undefined)
            .catch((e: Error): Recovery | Error => e)
        ),
      );
      if (this.parts.gone(sub)) return;
      subscriptions.set(sub, wanted.map((w) => w.pipe));
      fresh.forEach((w, i) => {
        stats.resumed[finishSharedResume(sub, w, answers[i], held[i])]++;
      });
    } finally {
      for (const h of held) resuming.close(h);
      for (const topic of topics) link.unlisten(topic);
    }
  }
}
