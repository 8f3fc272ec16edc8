import { AlertFilters, AnomalyFilters, FlowFilters, MAX_TIME_S, parseFilters, parseTime, searchParamsRecord } from './filters';

const T = Date.UTC(2026, 0, 1, 10, 0) / 1000; // 2026-01-01T10:00Z

describe('parseTime', () => {
  it.each([
    ['1790000000', 1_790_000_000],
    ['1790000000.25', 1_790_000_000.25],
    ['0', 0],
    [String(MAX_TIME_S), MAX_TIME_S],
    ['2026-01-01', Date.UTC(2026, 0, 1) / 1000],
    ['2026-01-01T10:00', T], // datetime-local, taken as UTC
    ['2026-01-01T10:00:00', T],
    ['2026-01-01T10:00:00.5', T + 0.5],
    ['2026-01-01T10:00Z', T],
    ['2026-01-01t10:00z', T],
    ['2026-01-01T12:00+02:00', T],
    ['2026-01-01T05:30-0430', T],
    ['2024-02-29', Date.UTC(2024, 1, 29) / 1000],
    ['9999-12-31T23:59:59Z', MAX_TIME_S],
  ])('%s → %d', (s, want) => {
    expect(parseTime(s)).toBe(want);
  });

  it.each([
    '99999999999999999999', // far past year 9999: toISOString would throw
    String(MAX_TIME_S + 1),
    '-5',
    '+5',
    '1e9',
    '0x10',
    ' 5',
    '5.',
    'garbage 5',
    'x 1',
    'Jan 1 2026',
    '2026-02-30', // Date.UTC would roll this over to March 2
    '2025-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-01-01T24:00',
    '2026-01-01T10:60',
    '2026-01-01T10:00:60',
    '2026-01-01T10:00+24:00',
    '2026-01-01T10:00+02:60',
    '2026-01-01 10:00',
    '2026-1-1',
    '26-01-01',
    '1969-12-31T23:59',
    '0050-01-01', // Date.UTC maps years < 100 to 19xx
    '1970-01-01T00:30+01:00', // before the epoch once the offset applies
    '9999-12-31T23:59:59-00:01',
    '2026-01-01Z',
    '',
  ])('rejects %j', (s) => {
    expect(parseTime(s)).toBeNull();
  });
});

describe('parseFilters', () => {
  it('parses a full alert filter', () => {
    const r = parseFilters(AlertFilters, { type: 'port_scan', severity: 'high', host: '2001:DB8::1', from: '2026-01-01T10:00', to: '1790000000', page: '3' });
    expect(r.errors).toEqual({});
    expect(r.data).toEqual({ type: 'port_scan', severity: 'high', host: '2001:db8::1', from: T, to: 1_790_000_000, page: 3 });
  });

  it('normalises host on every filter schema', () => {
    expect(parseFilters(AlertFilters, { host: '2001:db8:0:0:0:0:0:1' }).data.host).toBe('2001:db8::1');
    expect(parseFilters(FlowFilters, { host: '::ffff:10.66.0.7' }).data.host).toBe('10.66.0.7');
    expect(parseFilters(AnomalyFilters, { host: '::FFFF:A42:7' }).data.host).toBe('10.66.0.7');
    expect(parseFilters(AlertFilters, { host: 'fe80::1%eth0' }).errors).toHaveProperty('host');
  });

  it('a time out of range is a field error, not a later RangeError', () => {
    const r = parseFilters(AlertFilters, { from: '99999999999999999999', to: '2026-02-30' });
    expect(Object.keys(r.errors).sort()).toEqual(['from', 'to']);
    expect(r.data.from).toBeUndefined();
    expect(r.data.to).toBeUndefined();
  });

  it.each([
    [AlertFilters, 'page', ['0x10', '1e1', '-1', '0', '1.5', '10001', '+2', '٣']],
    [FlowFilters, 'limit', ['0x10', '1e2', '0', '1001', '2.0']],
    [AnomalyFilters, 'minScore', ['0x1', '1e-1', '-0', '1.01', '0.5.1', 'Infinity', 'NaN', '.']],
  ] as const)('%#: %s takes decimal digits only', (schema, key, bad) => {
    for (const v of bad) expect([v, parseFilters(schema, { [key]: v }).errors]).toEqual([v, { [key]: expect.any(String) }]);
  });

  it('accepts decimal numbers and applies defaults', () => {
    expect(parseFilters(AlertFilters, { page: '10000' }).data.page).toBe(10_000);
    expect(parseFilters(AlertFilters, {}).data.page).toBe(1);
    expect(parseFilters(FlowFilters, { limit: ' 20 ' }).data.limit).toBe(20);
    expect(parseFilters(FlowFilters, {}).data.limit).toBe(200);
    expect(parseFilters(AnomalyFilters, { minScore: '0.6' }).data.minScore).toBe(0.6);
    expect(parseFilters(AnomalyFilters, { minScore: '.6' }).data.minScore).toBe(0.6);
    expect(parseFilters(AnomalyFilters, { minScore: '1' }).data.minScore).toBe(1);
  });

  it('an unknown key is a field error; the known ones still apply', () => {
    const r = parseFilters(AlertFilters, { severty: 'critical', type: 'port_scan' });
    expect(r.errors).toEqual({ severty: 'unknown parameter' });
    expect(r.data.type).toBe('port_scan');
    expect(parseFilters(AlertFilters, { severty: '' }).errors).toHaveProperty('severty');
  });

  it('__proto__ and other Object.prototype names are unknown keys, kept as plain keys', () => {
    const raw = searchParamsRecord(new URLSearchParams('__proto__=x&constructor=y&toString=z'));
    const r = parseFilters(AlertFilters, raw);
    expect(Object.keys(r.errors).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(r.errors)).toBe(Object.prototype);
  });

  it('a repeated key is a field error whichever way it arrives (page searchParams or URLSearchParams)', () => {
    const viaPage = parseFilters(AlertFilters, { severity: ['low', 'critical'], type: 'port_scan' });
    const viaApi = parseFilters(AlertFilters, searchParamsRecord(new URLSearchParams('severity=low&severity=critical&type=port_scan')));
    for (const r of [viaPage, viaApi]) {
      expect(r.errors).toEqual({ severity: 'given more than once' });
      expect(r.data.severity).toBeUndefined();
      expect(r.data.type).toBe('port_scan');
    }
  });

  it('empty values are no filter (what the form submits for blank fields)', () => {
    const r = parseFilters(AlertFilters, searchParamsRecord(new URLSearchParams('type=&severity=&host=&from=&to=')));
    expect(r).toEqual({ data: { page: 1 }, errors: {} });
  });
});

describe('searchParamsRecord', () => {
  it('keeps single values as strings and repeated ones as arrays', () => {
    expect(searchParamsRecord(new URLSearchParams('a=1&b=2&a=3&c='))).toEqual({ a: ['1', '3'], b: '2', c: '' });
  });
});
