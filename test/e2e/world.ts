/**
 * What the e2e tests run the extension against: the scripted student/teacher pair as GGUF
 * files, and a real OpenAI-format server on 127.0.0.1 answering from the scripted teacher.
 */
import { after, before } from "node:test";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { scriptedPairPaths } from "../fixtures/pair.js";
import { startOpenAIServer, teacherBackend, type OpenAITestServer } from "../fixtures/openaiServer.js";

export interface World {
  studentPath: string;
  teacherPath: string;
  server: OpenAITestServer;
  /** User settings pointing the extension at this world. */
  settings: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startWorld(overrides: Record<string, unknown> = {}): Promise<World> {
  const paths = await scriptedPairPaths();
  const teacher = await LocalTeacher.load({ model: paths.teacher, gpu: "cpu", contextSize: 1024 });
  const server = await startOpenAIServer(teacherBackend(teacher), { model: "scripted-teacher" });
  return {
    studentPath: paths.student,
    teacherPath: paths.teacher,
    server,
    settings: {
      "relay.student.model": paths.student,
      "relay.student.gpu": "cpu",
      "relay.student.contextSize": 512,
      "relay.policy": "learned",
      // The scripted student loops when a call is refused: keep such answers short.
      "relay.maxTokens": 120,
      "relay.teacher.url": server.url,
      "relay.teacher.model": "scripted-teacher",
      "relay.teacher.temperature": 0,
      "relay.teacher.timeoutMs": 20000,
      "relay.budget.limit": 100000,
      "relay.budget.period": "month",
      "relay.inline.debounceMs": 50,
      ...overrides,
    },
    close: async () => {
      await server.close();
      await teacher.dispose();
    },
  };
}

/**
 * Registers before/after hooks that start and stop a world; call before useVSCode() so the
 * settings are filled in when VS Code starts.
 */
export function useWorld(overrides: Record<string, unknown> = {}): { settings: Record<string, unknown>; readonly world: World } {
  let world: World | undefined;
  const settings: Record<string, unknown> = {};
  before(async () => {
    world = await startWorld(overrides);
    Object.assign(settings, world.settings);
  });
  after(async () => world?.close());
  return {
    settings,
    get world(): World {
      if (!world) throw new Error("the world is not running (did its before() hook fail?)");
      return world;
    },
  };
}
