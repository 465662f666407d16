// The Node entry's drivers (runtimes/node.ts) against the shared driver
// contract: node:sqlite (Node 24, Deno) and better-sqlite3 (Node 20).
import { betterSqlite3Driver, nodeSqliteDriver } from "../runtimes/node.ts";
import { driverContract } from "./_driver_contract.ts";

driverContract("node:sqlite", nodeSqliteDriver);
driverContract("better-sqlite3", betterSqlite3Driver);
