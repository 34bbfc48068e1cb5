//! The private-address guard: which IP addresses Vigil may connect to, and a DNS resolver that
//! drops every other address before reqwest sees it. Because the check runs on the addresses the
//! connection is actually made to (not on the host name in the URL), DNS rebinding cannot get
//! around it.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// True for addresses on the public internet; false for loopback, private, link-local, CGNAT,
/// multicast, unspecified, documentation, benchmarking and reserved ranges (IPv4 and IPv6, with
/// IPv4 addresses embedded in IPv6 checked as IPv4).
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let blocked = a == 0                              // "this network"
        || a == 10                                    // private
        || a == 127                                   // loopback
        || (a == 100 && (64..128).contains(&b))       // CGNAT 100.64/10
        || (a == 169 && b == 254)                     // link-local
        || (a == 172 && (16..32).contains(&b))        // private
        || (a == 192 && b == 0 && c == 0)             // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)             // TEST-NET-1
        || (a == 192 && b == 88 && c == 99)           // 6to4 relay anycast
        || (a == 192 && b == 168)                     // private
        || (a == 198 && (b == 18 || b == 19))         // benchmarking
        || (a == 198 && b == 51 && c == 100)          // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)           // TEST-NET-3
        || a >= 224; // multicast, reserved, broadcast
    !blocked
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let first = segments[0];
    // Only global unicast (2000::/3) is public; inside it, carve out the special ranges.
    if first & 0xe000 != 0x2000 {
        return false;
    }
    let blocked = (first == 0x2001 && segments[1] == 0x0db8)  // documentation
        || (first == 0x2001 && segments[1] < 0x0200)        // IETF protocol assignments, Teredo
        || first == 0x2002; // 6to4 (embedded addresses unreliable to judge)
    !blocked
}

/// The IPv4 address inside IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and
/// NAT64 (64:ff9b::a.b.c.d) addresses.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff;
    let compatible = s[..6] == [0, 0, 0, 0, 0, 0] && (s[6] != 0 || s[7] > 1);
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    (mapped || compatible || nat64).then_some(tail)
}

/// A resolver that returns only public addresses, and fails when a name has no other kind.
#[derive(Debug, Default, Clone)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|addr| is_public_ip(addr.ip()))
                .collect();
            if public.is_empty() {
                let shown = resolved
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default();
                return Err(format!(
                    "refused: {host} resolves only to non-public addresses ({shown})"
                )
                .into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        let cases = [
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("93.184.216.34", true),
            ("127.0.0.1", false),
            ("127.255.0.9", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("100.128.0.1", true),
            ("0.0.0.0", false),
            ("224.0.0.1", false),
            ("255.255.255.255", false),
            ("192.0.2.7", false),
            ("198.51.100.7", false),
            ("203.0.113.7", false),
            ("198.18.0.1", false),
            ("::1", false),
            ("::", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("64:ff9b::10.0.0.1", false),
            ("64:ff9b::8.8.4.4", true),
            ("fe80::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("ff02::1", false),
            ("2001:db8::1", false),
            ("2001::1", false),
            ("2002:7f00:1::", false),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001:80b::200e", true),
        ];
        for (text, public) in cases {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(is_public_ip(ip), public, "{text}");
        }
    }
}
