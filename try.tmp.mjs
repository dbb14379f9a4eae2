import {getLlama, LlamaChatSession, resolveChatWrapper} from "node-llama-cpp";
const llama = await getLlama({gpu:false, build:"never"});
for (const f of process.argv.slice(2)) {
  const model = await llama.loadModel({modelPath: f});
  const ctx = await model.createContext({contextSize: 2048, threads: 2});
  const cw = resolveChatWrapper(model);
  const s = new LlamaChatSession({contextSequence: ctx.getSequence(), chatWrapper: cw});
  const t0 = Date.now();
  const q = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May? Please reason step by step, and put your final answer within \\boxed{}.";
  const a = await s.prompt(q, {maxTokens: 200, temperature: 0});
  const n = model.tokenize(a).length;
  console.log("==", f.split("/").pop(), cw.wrapperName, `${n} tok in ${Date.now()-t0} ms`);
  console.log(a);
  await ctx.dispose(); await model.dispose();
}
