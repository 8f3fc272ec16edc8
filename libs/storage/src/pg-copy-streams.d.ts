// Minimal types for pg-copy-streams 7 (the package ships none): only what copy.ts uses.
declare module 'pg-copy-streams' {
  import type { Writable } from 'node:stream';
  import type { Submittable } from 'pg';
  export interface CopyStreamQuery extends Writable, Submittable {
    rowCount: number;
  }
  export function from(sql: string): CopyStreamQuery;
}
