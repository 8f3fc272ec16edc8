import { NextResponse, type NextRequest } from 'next/server';
import { listAlerts } from '../../../lib/data';
import { AlertFilters, parseFilters, searchParamsRecord } from '../../../lib/filters';

export const dynamic = 'force-dynamic';

/**
 * GET /api/alerts?type=&severity=&host=&from=&to=&page= : `{ ok: true, alerts, hasMore }`, at most
 * PAGE_SIZE AlertV1 per page; 400 with field errors on bad input, an unknown key or a repeated key.
 */
export async function GET(req: NextRequest) {
  const { data, errors } = parseFilters(AlertFilters, searchParamsRecord(req.nextUrl.searchParams));
  if (Object.keys(errors).length) return NextResponse.json({ ok: false, code: 'QUERY.INVALID', fieldErrors: errors }, { status: 400 });
  const { alerts, hasMore } = await listAlerts(data);
  return NextResponse.json({ ok: true, alerts, hasMore });
}
