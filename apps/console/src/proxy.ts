import { NextResponse, type NextRequest } from 'next/server';
import { refuse } from './lib/request';

/** Runs before routing on every request (Next 16 names middleware "proxy"); see lib/request.ts for what it refuses and why. */
export function proxy(req: NextRequest): NextResponse {
  // The raw path from the request line: nextUrl may already be normalised by Next.
  const r = refuse(req.method, new URL(req.url).pathname);
  if (!r) return NextResponse.next();
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (r.status === 405) headers.allow = r.allow;
  return new NextResponse(`${r.status === 400 ? 'Bad Request' : 'Method Not Allowed'}: ${r.message}\n`, { status: r.status, headers });
}
