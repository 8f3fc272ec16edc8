import { startService } from '@netsentry/messaging';
import { haveCommand, isRoot, itIf } from '@netsentry/testing';

// Without root or CAP_NET_RAW the sensor says so in one clear line and exits non-zero.
describe('sensor without capture permission', () => {
  itIf(isRoot && haveCommand('setpriv'), 'needs root and setpriv to run the sensor as an unprivileged user')(
    'names the missing capability and how to grant it',
    async () => {
      const s = startService('sensor', ['--iface', 'lo', '--sensor-id', 'no-perm'], { KAFKA_BROKERS: '127.0.0.1:1' }, {
        prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'],
      });
      const line = await s.waitFor(/CAP_NET_RAW/, 60000);
      expect(line).toMatch(/^sensor: live capture needs root or the CAP_NET_RAW capability/);
      expect(await s.exited).toBe(1);
    },
    90000,
  );
});
