import { PacketRecord } from '@netsentry/packets';
import type { FlowV1 } from '@netsentry/contracts';
import { CIC_COLUMNS, cicCsvLine, cicTimestamp, toCicRow } from './cic';
import { FLOW_FEATURE_NAMES } from './features';
import { FlowTable } from './flow-table';
import { fill } from './testing/packet-builder';

describe('CICFlowMeter columns', () => {
  it('has CICFlowMeter-V4 header: 84 columns, identity first, Label last', () => {
    expect(CIC_COLUMNS).toHaveLength(84);
    expect(CIC_COLUMNS.slice(0, 8)).toEqual(['Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Dst Port', 'Protocol', 'Timestamp', 'Flow Duration']);
    expect(CIC_COLUMNS[CIC_COLUMNS.length - 1]).toBe('Label');
  });

  it('every numeric CIC column is one of our features', () => {
    const ours = new Set<string>(FLOW_FEATURE_NAMES);
    expect(CIC_COLUMNS.slice(7, -1).filter((c) => !ours.has(c))).toEqual([]);
  });

  it('toCicRow fills identity and feature columns from a flow', () => {
    const flows: FlowV1[] = [];
    const t = new FlowTable({ sensor: 'cic' }, (f) => flows.push(f));
    const rec = new PacketRecord();
    t.add(fill(rec, { t: 1_566_400_000.5, src: '10.0.0.1', dst: '10.0.0.2', sp: 4000, dp: 80, flags: 'S' }));
    t.add(fill(rec, { t: 1_566_400_000.75, src: '10.0.0.2', dst: '10.0.0.1', sp: 80, dp: 4000, flags: 'SA' }));
    t.flush();
    const row = toCicRow(flows[0], 'BENIGN');
    expect(row).toHaveLength(84);
    expect(row.slice(0, 7)).toEqual(['10.0.0.1-10.0.0.2-4000-80-6', '10.0.0.1', 4000, '10.0.0.2', 80, 6, '21/08/2019 03:06:40 PM']);
    expect(row[CIC_COLUMNS.indexOf('Flow Duration')]).toBe(250_000);
    expect(row[CIC_COLUMNS.indexOf('Total Bwd packets')]).toBe(1);
    expect(row[83]).toBe('BENIGN');
    expect(cicCsvLine(['a,b', 1, 'x"y'])).toBe('"a,b",1,"x""y"');
  });

  it('formats timestamps like CICFlowMeter (12-hour clock, UTC)', () => {
    expect(cicTimestamp(0)).toBe('01/01/1970 12:00:00 AM');
    expect(cicTimestamp(12 * 3600 + 61)).toBe('01/01/1970 12:01:01 PM');
  });
});
