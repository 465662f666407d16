// The Deno entry's driver (runtimes/deno.ts) against the shared driver
// contract, on Deno only.
import { driverContract } from "./_driver_contract.ts";

driverContract("deno", async () => {
  if ((globalThis as { Deno?: unknown }).Deno === undefined) throw new Error("not Deno");
  return (await import("../runtimes/deno.ts")).denoDriver();
});
