// Which addresses the broker may connect to: public unicast only, unless the admin opened a range
// (egress.allow_cidrs). Loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT,
// unique-local, multicast and the reserved ranges are refused, so an allowed name that resolves to
// the service's own neighbourhood reaches nothing there.
import ipaddr from 'ipaddr.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** An IPv4 address written as IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it is. */
function plain(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

export class AddressPolicy {
  private readonly allowed: Array<[Address, number]>;

  constructor(allowCidrs: readonly string[]) {
    this.allowed = allowCidrs.map((cidr) => {
      const [address, bits] = ipaddr.parseCIDR(cidr);
      return [plain(address), address.kind() === plain(address).kind() ? bits : bits - 96];
    });
  }

  /** Null when the address may be reached, else why not (the range's name). */
  refusal(text: string): string | null {
    if (!ipaddr.isValid(text)) return `${text} is not an IP address`;
    const address = plain(ipaddr.parse(text));
    if (this.allowed.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits))) return null;
    const range = address.range();
    return range === 'unicast' ? null : `${address.toString()} is in a ${range} range, which egress.allow_cidrs does not open`;
  }
}

export function isAddressLiteral(host: string): boolean {
  return ipaddr.isValid(host);
}

/** A CIDR as the config may give it, or why not. */
export function cidrProblem(cidr: string): string | null {
  try {
    ipaddr.parseCIDR(cidr);
    return null;
  } catch {
    return `${JSON.stringify(cidr)} is not a CIDR (e.g. 127.0.0.0/8, 10.0.0.0/8, fd00::/8)`;
  }
}
