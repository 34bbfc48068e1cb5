//! `[web]` in `vigil.toml`: what one request and one client may cost the server. Every value
//! has a default that suits one machine serving a press office; every error names its key.
//!
//! In: the raw `[web]` table; out: `WebSettings`.

use crate::types::parse_duration;
use serde::Deserialize;
use std::net::IpAddr;
use std::time::Duration;

/// Limits of the web server.
#[derive(Debug, Clone, PartialEq)]
pub struct WebSettings {
    /// Wall-clock budget of one search, stats, export, backtest or workbench run.
    pub request_timeout: Duration,
    /// Memory budget of one such request, in bytes.
    pub request_memory: u64,
    /// Such requests running at once; the rest wait for their budget's time, then get 503.
    pub concurrent_requests: usize,
    /// Password verifications (argon2id, 19 MiB each) running at once; the rest wait briefly,
    /// then get 429.
    pub concurrent_logins: usize,
    /// Open connections at most; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// Time an idle kept-alive connection stays open.
    pub idle_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` names the client (addresses or CIDR ranges). Empty:
    /// the client is the socket's peer, and the header is ignored.
    pub trusted_proxies: Vec<Cidr>,
}

impl Default for WebSettings {
    fn default() -> WebSettings {
        WebSettings {
            request_timeout: Duration::from_secs(5),
            request_memory: 128 << 20,
            concurrent_requests: 4,
            concurrent_logins: 2,
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
        }
    }
}

/// An address range: `10.0.0.0/8`, `::1/128`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `address` is in the range (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        let bits = |a: IpAddr| -> u128 {
            match a {
                IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
                IpAddr::V6(v6) => u128::from(v6),
            }
        };
        if address.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        // An IPv4 address sits in the top 32 bits, so one mask serves both families.
        let prefix = u32::from(self.prefix);
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        bits(address) & mask == bits(self.network) & mask
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    request_timeout: Option<String>,
    request_memory_mb: Option<u64>,
    concurrent_requests: Option<usize>,
    concurrent_logins: Option<usize>,
    max_connections: Option<usize>,
    header_timeout: Option<String>,
    idle_timeout: Option<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
}

/// Validates `[web]`; an error names the key.
pub(super) fn validate(raw: RawWeb) -> Result<WebSettings, (String, String)> {
    let defaults = WebSettings::default();
    let duration = |key: &str, value: Option<String>, default: Duration, max: u64| match value {
        None => Ok(default),
        Some(text) => parse_duration(&text)
            .and_then(|d| {
                if d.is_zero() || d > Duration::from_secs(max) {
                    Err(format!("must be more than 0 and at most {max} s"))
                } else {
                    Ok(d)
                }
            })
            .map_err(|message| (format!("web.{key}"), message)),
    };
    let count = |key: &str, value: Option<usize>, default: usize, max: usize| match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err((format!("web.{key}"), format!("must be between 1 and {max}"))),
    };
    let request_memory = match raw.request_memory_mb {
        None => defaults.request_memory,
        Some(mb) if (16..=65_536).contains(&mb) => mb << 20,
        Some(_) => {
            return Err((
                "web.request_memory_mb".into(),
                "must be between 16 and 65536".into(),
            ));
        }
    };
    let mut trusted_proxies = Vec::new();
    for (position, text) in raw.trusted_proxies.iter().enumerate() {
        trusted_proxies
            .push(Cidr::parse(text).map_err(|m| (format!("web.trusted_proxies[{position}]"), m))?);
    }
    Ok(WebSettings {
        request_timeout: duration(
            "request_timeout",
            raw.request_timeout,
            defaults.request_timeout,
            600,
        )?,
        request_memory,
        concurrent_requests: count(
            "concurrent_requests",
            raw.concurrent_requests,
            defaults.concurrent_requests,
            256,
        )?,
        concurrent_logins: count(
            "concurrent_logins",
            raw.concurrent_logins,
            defaults.concurrent_logins,
            64,
        )?,
        max_connections: count(
            "max_connections",
            raw.max_connections,
            defaults.max_connections,
            100_000,
        )?,
        header_timeout: duration(
            "header_timeout",
            raw.header_timeout,
            defaults.header_timeout,
            300,
        )?,
        idle_timeout: duration(
            "idle_timeout",
            raw.idle_timeout,
            defaults.idle_timeout,
            3_600,
        )?,
        trusted_proxies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_hold_their_addresses_only() {
        let cases = [
            ("10.0.0.0/8", "10.200.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("127.0.0.1", "::ffff:127.0.0.1", true),
            ("::1", "::1", true),
            ("::1", "127.0.0.1", false),
            ("fd00::/8", "fd12::1", true),
            ("0.0.0.0/0", "203.0.113.9", true),
        ];
        for (range, address, inside) in cases {
            let cidr = Cidr::parse(range).unwrap();
            assert_eq!(
                cidr.contains(address.parse().unwrap()),
                inside,
                "{range} {address}"
            );
        }
        for bad in ["10.0.0.0/33", "proxy.example", "::1/129", "10.0.0.1/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_key_is_checked_and_named() {
        let parsed = |text: &str| -> Result<WebSettings, (String, String)> {
            validate(toml::from_str::<RawWeb>(text).map_err(|e| (String::new(), e.to_string()))?)
        };
        assert_eq!(parsed("").unwrap(), WebSettings::default());
        let set = parsed(
            "request_timeout = \"2s\"\nrequest_memory_mb = 64\nconcurrent_requests = 8\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]",
        )
        .unwrap();
        assert_eq!(set.request_timeout, Duration::from_secs(2));
        assert_eq!(set.request_memory, 64 << 20);
        assert_eq!(set.trusted_proxies.len(), 2);
        for (text, key) in [
            ("request_timeout = \"0s\"", "web.request_timeout"),
            ("request_timeout = \"1h\"", "web.request_timeout"),
            ("request_memory_mb = 1", "web.request_memory_mb"),
            ("concurrent_logins = 0", "web.concurrent_logins"),
            ("trusted_proxies = [\"proxy\"]", "web.trusted_proxies[0]"),
        ] {
            assert_eq!(parsed(text).unwrap_err().0, key, "{text}");
        }
    }
}
