/**
 * Application port class: the IANA-registered service name of a well-known TCP/UDP port
 * (names as in /etc/services), or 'other'. Non-port protocols get their protocol name.
 * The table is embedded so the answer does not depend on the host's /etc/services.
 */
const TCP: ReadonlyArray<readonly [number, string]> = [
  [20, 'ftp-data'], [21, 'ftp'], [22, 'ssh'], [23, 'telnet'], [25, 'smtp'], [43, 'whois'], [53, 'dns'],
  [70, 'gopher'], [79, 'finger'], [80, 'http'], [88, 'kerberos'], [110, 'pop3'], [111, 'sunrpc'], [113, 'ident'],
  [119, 'nntp'], [135, 'msrpc'], [139, 'netbios-ssn'], [143, 'imap'], [179, 'bgp'], [389, 'ldap'], [443, 'https'],
  [445, 'microsoft-ds'], [465, 'smtps'], [513, 'login'], [514, 'shell'], [515, 'printer'], [548, 'afp'],
  [554, 'rtsp'], [587, 'submission'], [631, 'ipp'], [636, 'ldaps'], [873, 'rsync'], [989, 'ftps-data'],
  [990, 'ftps'], [993, 'imaps'], [995, 'pop3s'], [1080, 'socks'], [1433, 'ms-sql-s'], [1521, 'oracle'],
  [1723, 'pptp'], [1883, 'mqtt'], [2049, 'nfs'], [2181, 'zookeeper'], [3128, 'squid'], [3306, 'mysql'],
  [3389, 'rdp'], [5060, 'sip'], [5222, 'xmpp-client'], [5432, 'postgresql'], [5671, 'amqps'], [5672, 'amqp'],
  [5900, 'vnc'], [6379, 'redis'], [6667, 'irc'], [8080, 'http-alt'], [8443, 'https-alt'], [9092, 'kafka'],
  [9200, 'elasticsearch'], [11211, 'memcache'], [27017, 'mongodb'],
];
const UDP: ReadonlyArray<readonly [number, string]> = [
  [53, 'dns'], [67, 'dhcp'], [68, 'dhcp'], [69, 'tftp'], [88, 'kerberos'], [111, 'sunrpc'], [123, 'ntp'],
  [137, 'netbios-ns'], [138, 'netbios-dgm'], [161, 'snmp'], [162, 'snmp-trap'], [389, 'cldap'], [443, 'quic'],
  [500, 'isakmp'], [514, 'syslog'], [520, 'rip'], [546, 'dhcpv6'], [547, 'dhcpv6'], [1194, 'openvpn'],
  [1900, 'ssdp'], [2049, 'nfs'], [3478, 'stun'], [4500, 'ipsec-nat-t'], [5060, 'sip'], [5353, 'mdns'],
  [5355, 'llmnr'], [11211, 'memcache'], [19, 'chargen'], [1812, 'radius'], [1813, 'radius-acct'],
  [3702, 'ws-discovery'], [51820, 'wireguard'],
];

const tcpNames: (string | undefined)[] = new Array(65536);
const udpNames: (string | undefined)[] = new Array(65536);
for (const [p, n] of TCP) tcpNames[p] = n;
for (const [p, n] of UDP) udpNames[p] = n;

/** True when `serviceName(proto, port)` knows the port. */
export function isKnownServicePort(proto: number, port: number): boolean {
  if (proto === 6) return tcpNames[port & 0xffff] !== undefined;
  if (proto === 17) return udpNames[port & 0xffff] !== undefined;
  return false;
}

/**
 * Registered service name for (protocol, port): `http`, `dns`, ... ; `icmp` / `icmpv6` / `gre` /
 * `esp` for port-less protocols; `other` for unregistered ports and protocols.
 */
export function serviceName(proto: number, port: number): string {
  if (proto === 6) return tcpNames[port & 0xffff] ?? 'other';
  if (proto === 17) return udpNames[port & 0xffff] ?? 'other';
  if (proto === 1) return 'icmp';
  if (proto === 58) return 'icmpv6';
  if (proto === 47) return 'gre';
  if (proto === 50) return 'esp';
  if (proto === 132) return 'sctp';
  return 'other';
}
