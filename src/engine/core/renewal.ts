/**
 * While serving HTTPS, a server left running for months renews its leaf before it ends: a check a
 * few times a day, queued behind the engine's other transitions so that it never races a reload.
 */
import type { RoutingTable } from '../dispatch';
import type { Logger } from '../logger';
import type { Binding } from './binding';

/** The leaf is renewed 30 days before its end: a check a few times a day cannot miss that. */
export const CERTIFICATE_CHECK_MS = 6 * 60 * 60 * 1000;

export interface RenewalParts {
  readonly binding: Binding;
  readonly logger: Logger;
  /** Runs the check after the transitions queued before it (the engine's serial queue). */
  readonly enqueue: (check: () => Promise<void>) => Promise<void>;
  /** The routing table while the engine is started; undefined otherwise. */
  readonly serving: () => RoutingTable | undefined;
}

export class CertificateRenewal {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly parts: RenewalParts,
    private readonly intervalMs: number,
  ) {}

  /** From a start on: the check runs every `intervalMs`, without holding the process open. */
  start(): void {
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const { binding, logger } = this.parts;
    void this.parts
      .enqueue(async () => {
        const routing = this.parts.serving();
        if (!binding.servingHttps || !routing) return;
        if (await binding.refreshCertificate(routing.config)) logger.info('renewed the HTTPS certificate before its end');
      })
      .catch((error) => logger.error('renewing the HTTPS certificate failed', error));
  }
}
