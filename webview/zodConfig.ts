/**
 * Must be imported before anything that builds a zod schema (the shared protocol does so when it
 * loads): zod otherwise probes `new Function` once, which the webview's CSP reports as a
 * violation even though zod catches the error.
 */
import { config } from "zod";

config({ jitless: true });
