import * as z from 'zod';
import { findMount } from '../mounts';
import { defineTool, ToolError } from '../tool';

/** Lines one call returns at most: a model reads them all, so a page is what fits its attention. */
export const MAX_LOG_LINES = 500;

const logLine = z.object({
  seq: z.number().int(),
  time: z.string(),
  level: z.enum(['info', 'warn', 'error']),
  source: z.string().optional().describe("the mount's name for app output; absent for the server's own lines"),
  message: z.string(),
  error: z.string().optional().describe("the error's stack, for errors that carry one"),
});

export const getLogs = defineTool({
  name: 'get_logs',
  title: 'Get logs',
  description:
    "Reads the recent log lines of the workspace's Mounts server: what apps printed, the errors they threw (with " +
    'stacks) and what the server itself said, oldest first. Give `mount` for the lines of one app only. To read ' +
    'only what is new, pass the `next` of the previous answer as `since`. The server keeps the last 2000 lines; ' +
    '`missed` counts the lines that fell out before they could be read. The access log is not kept.',
  input: z.object({
    mount: z.string().min(1).optional().describe('a mount by name, id or prefix; absent: every line'),
    since: z.number().int().min(0).optional().describe('the `next` of a previous answer; absent: from the oldest line kept'),
    limit: z.number().int().min(1).max(MAX_LOG_LINES).default(100).describe(`at most this many lines (at most ${MAX_LOG_LINES})`),
  }),
  output: z.object({
    lines: z.array(logLine),
    next: z.number().int().describe('pass as `since` to read what comes after'),
    missed: z.number().int().describe('lines after `since` that were dropped before this read'),
    more: z.boolean().describe('more lines follow: call again with `since` = `next`'),
  }),
  control: false,
  run: async (workspace, input) => {
    const newest = workspace.log.last;
    if (input.since !== undefined && input.since > newest) {
      throw new ToolError(`since ${input.since} is past the newest line (${newest}): pass the \`next\` of an earlier answer of this server`);
    }
    const source = input.mount === undefined ? undefined : findMount(workspace, input.mount).spec.name;
    const page = workspace.log.read({ since: input.since, source, limit: input.limit });
    return { ...page, lines: [...page.lines] };
  },
});
