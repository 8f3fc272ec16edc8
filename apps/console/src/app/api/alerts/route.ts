import { NextResponse, type NextRequest } from 'next/server';
import { listAlerts } from '../../../lib/data';
import { AlertFilters, parseFilters, searchParamsRecord } from '../../../lib/filters';

export const dynamic = 'force-dynamic';

/** GET /api/alerts?type=&severity=&host=&from=&to=&page= : alerts as AlertV1 JSON; 400 with field errors on bad input, an unknown key or a repeated key. */
export async function GET(req: NextRequest) {
  const { data, errors } = parseFilters(AlertFilters, searchParamsRecord(req.nextUrl.searchParams));
  if (Object.keys(errors).length) return NextResponse.json({ ok: false, code: 'QUERY.INVALID', fieldErrors: errors }, { status: 400 });
  return NextResponse.json({ ok: true, alerts: await listAlerts(data) });
}
