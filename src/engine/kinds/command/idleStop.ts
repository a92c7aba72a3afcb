/**
 * When an onRequest command has served nothing for its `idleTimeout`: requests in flight and open
 * tunnels hold it, and the timer runs only while nothing does, so a long download or an open
 * WebSocket never has its process stopped under it.
 */
export class IdleStop {
  /** Requests in flight and open tunnels. */
  private active = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    /** Whether the timer may run now (an onRequest command that is ready). */
    private readonly armed: () => boolean,
    private readonly onIdle: () => void,
  ) {}

  hold(): void {
    this.active++;
    clearTimeout(this.timer);
  }

  release(): void {
    this.active--;
    this.arm();
  }

  /** Starts the timer again when nothing holds the command. */
  arm(): void {
    if (!this.armed() || this.active > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.active === 0 && this.armed()) this.onIdle();
    }, this.ms);
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}
