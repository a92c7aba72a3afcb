/** What an engine is made with, and what a reload reports. */
import type { ModuleTimeouts, PythonChoice } from '../kinds/app';
import type { Logger } from '../logger';
import type { ConfigProblem } from '../spec';
import type { FileWatching } from '../watch/watching';

export interface EngineOptions {
  /** Absolute path of mounts.json. */
  readonly configFile: string;
  readonly logger?: Logger;
  /** Milliseconds in-flight requests get to finish on stop or when their mount is removed. Default 3000. */
  readonly stopGracePeriod?: number;
  /** Restricted mode (untrusted workspace): module and command mounts are refused. */
  readonly restricted?: boolean;
  /** Overrides mounts.json for this run only (the CLI's --port/--host, the editor's "free port"). */
  readonly port?: number;
  readonly host?: string;
  /** One access-log line per request. Default true; `setAccessLog` changes it at run time. */
  readonly accessLog?: boolean;
  /**
   * The interpreter of wsgi and asgi mounts without their own `python` (the CLI's --python, the
   * editor's selected interpreter); `setPython` changes it at run time. Default: python3 on the PATH.
   */
  readonly python?: PythonChoice;
  /** Pages reload when what serves them changes. Default true; `setLiveReload` changes it at run time. */
  readonly liveReload?: boolean;
  /** Serve only the mounts of these kinds (`mounts serve --only`: the app server behind an exported front). */
  readonly only?: readonly string[];
  /** Take X-Forwarded-For, -Host and -Proto of loopback peers as the client's (a front on this machine). */
  readonly trustLoopbackFront?: boolean;
  /** Serve HTTPS with the local CA's certificate, whatever mounts.json says (`mounts serve --https`). */
  readonly https?: boolean;
  /** Where the local CA lives; default the user's data folder (tests give a temporary one). */
  readonly dataDir?: string;
  /** Milliseconds between checks of the HTTPS leaf's age while serving. Default 6 hours. */
  readonly certificateCheckInterval?: number;
  /** How long module apps wait for a load and for close(). Default: `MODULE_TIMEOUTS` (tests shorten them). */
  readonly moduleTimeouts?: Partial<ModuleTimeouts>;
  /** The file-watching service its apps, its live loop and the CLI's --watch use; default a new one. Closed on stop. */
  readonly watching?: FileWatching;
}

export interface ReloadResult {
  readonly ok: boolean;
  /**
   * What the reload did: all of mounts.json applied; applied but for the mounts in `errors`; none of
   * it (invalid, or the new address could not be had; the previous mounts serve); or the engine
   * stopped (neither the new address nor the old one could be had).
   */
  readonly outcome: 'applied' | 'partly applied' | 'not applied' | 'stopped';
  readonly problems: readonly ConfigProblem[];
  /** App load failures of added or changed mounts (the old version keeps serving). */
  readonly errors: readonly string[];
}
