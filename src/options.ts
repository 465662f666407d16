// The options interfaces moved to the public types module (src/types.ts);
// re-exported for importers written before the move (remove once none is left).
export type { IterateOptions, PullOptions, PushOptions, SetOptions } from "./types.ts";
