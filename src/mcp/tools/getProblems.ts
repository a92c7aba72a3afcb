import * as z from 'zod';
import { readConfig } from '../../engine/index';
import { defineTool } from '../tool';

const problem = z.object({
  file: z.string(),
  line: z.number().int().describe('one-based'),
  column: z.number().int().describe('one-based'),
  field: z.string().describe("the field's JSON path, e.g. mounts[2].prefix; empty for the whole file"),
  message: z.string(),
  kind: z.enum(['config', 'app']).describe("config: mounts.json is invalid as written; app: a mount's app could not load at the last start"),
});

export const getProblems = defineTool({
  name: 'get_problems',
  title: 'Get mounts.json problems',
  description:
    "Reads mounts.json now and lists what is wrong with it, each with file, line, column, field and message: " +
    "errors that keep it from being served, and mounts whose app could not load at the server's last start or " +
    'reload (a missing folder or module, a module that throws). Empty when all is well. Use it after editing mounts.json.',
  input: z.object({}),
  output: z.object({ configFile: z.string(), problems: z.array(problem) }),
  control: false,
  run: async ({ engine }) => {
    // Read afresh (parsing runs no app code): an agent asks right after editing the file.
    const { problems } = await readConfig(engine.configFile);
    const row = (kind: 'config' | 'app') => (p: (typeof problems)[number]) => ({ file: p.file, line: p.line, column: p.column, field: p.field, message: p.message, kind });
    return { configFile: engine.configFile, problems: [...problems.map(row('config')), ...engine.appProblems.map(row('app'))] };
  },
});
