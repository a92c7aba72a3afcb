/**
 * What the agent tools see of a served folder: its engine (in this process for `mounts mcp`, the
 * folder's engine process's client in the editor; both have this shape) and its recent log lines.
 * The tools are written once against this port, so an MCP client and the editor's language model
 * tools get the same answers.
 */
import type { ConfigProblem, EngineState, LogRing, MountInfo } from '../engine/index';

export interface AgentEngine {
  readonly configFile: string;
  readonly state: EngineState;
  /** The server's root URL while serving, e.g. `http://localhost:8080/`. */
  readonly url: string | undefined;
  readonly lastError: string | undefined;
  /** Mounts whose apps could not be created at the last start or reload. */
  readonly appProblems: readonly ConfigProblem[];
  mounts(): MountInfo[];
  /** Hot-reloads a module app, restarts a command app; `id` is `MountInfo.id`. */
  reloadApp(id: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface AgentWorkspace {
  readonly engine: AgentEngine;
  readonly log: LogRing;
  /** Something a person set up that an agent should know (the port was taken, a free one serves). */
  readonly note?: () => string | undefined;
}
