/** Product defaults shared by the command line and the editor (one place to change them). */

/** The default student: a small official Qwen3 GGUF, used under the `auto` policy. */
export const DEFAULT_STUDENT_MODEL = "hf:Qwen/Qwen3-1.7B-GGUF:Q8_0";
