/** Entry of the in-host suite: imports every *.itest.ts and exports the runner's run(). */
import "./activation.itest.js";

export { run } from "./runner.js";
