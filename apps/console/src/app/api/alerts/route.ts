import { NextResponse, type NextRequest } from 'next/server';
import { listAlerts } from '../../../lib/data';
import { AlertFilters, parseFilters } from '../../../lib/filters';

export const dynamic = 'force-dynamic';

/** GET /api/alerts?type=&severity=&host=&from=&to=&page= : alerts as AlertV1 JSON; 400 with field errors on bad input. */
export async function GET(req: NextRequest) {
  const raw = Object.fromEntries(req.nextUrl.searchParams.entries());
  const { data, errors } = parseFilters(AlertFilters, raw);
  if (Object.keys(errors).length) return NextResponse.json({ ok: false, code: 'QUERY.INVALID', fieldErrors: errors }, { status: 400 });
  return NextResponse.json({ ok: true, alerts: await listAlerts(data) });
}
