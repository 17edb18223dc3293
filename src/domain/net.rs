//! Network settings parsed at start-up: the [`PublicUrl`] Portier names itself by, and the
//! [`TrustedProxy`] ranges whose `X-Forwarded-*` headers are believed. Both are parsed by
//! clap, so a typo stops `serve` before it listens instead of being ignored at request time.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Where callers reach Portier, e.g. `https://pdp.example.com` or
/// `https://example.com/authz`: `http` or `https`, a host (name, IPv4 or `[IPv6]`) with an
/// optional port, and an optional path prefix. Kept without a trailing `/`, lowercased but
/// for the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// The URL, ready to have a route's path appended.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let lower = raw.to_ascii_lowercase();
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|scheme| lower.starts_with(scheme))
            .ok_or_else(|| format!("{raw:?}: must start with http:// or https://"))?;
        let rest = raw.get(scheme.len()..).unwrap_or_default();
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !is_host(host) {
            return Err(format!("{raw:?}: not a host name or address with a port"));
        }
        let path_char =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '~');
        if !path.chars().all(path_char) {
            return Err(format!(
                "{raw:?}: the path may hold letters, digits and / . - _ ~ only"
            ));
        }
        let path = path.trim_end_matches('/');
        Ok(PublicUrl(format!(
            "{scheme}{}{path}",
            host.to_ascii_lowercase()
        )))
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `host` is a plain `host[:port]`: letters, digits, `.`, `-`, `:` and the brackets
/// of an IPv6 address, nothing that could add a path, a query or a user.
pub fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// A proxy address or range in CIDR notation (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`). Bits
/// past the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4 range also matches
/// the IPv4-mapped IPv6 form of its addresses (`::ffff:10.0.0.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Whether `peer` is in the range.
    pub fn contains(&self, peer: IpAddr) -> bool {
        match (self.network, peer.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask_v4(ip, self.prefix) == u32::from(net),
            (IpAddr::V6(net), IpAddr::V6(ip)) => mask_v6(ip, self.prefix) == u128::from(net),
            _ => false,
        }
    }
}

fn mask_v4(ip: Ipv4Addr, prefix: u8) -> u32 {
    u32::from(ip) & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(ip: Ipv6Addr, prefix: u8) -> u128 {
    u128::from(ip) & u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("{raw:?}: not an IP address or CIDR range"))?;
        let address = address.to_canonical();
        let longest = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => longest,
            Some(text) => text
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= longest && !text.starts_with('+'))
                .ok_or_else(|| format!("{raw:?}: the prefix must be 0 to {longest}"))?,
        };
        let network = match address {
            IpAddr::V4(ip) => IpAddr::V4(Ipv4Addr::from(mask_v4(ip, prefix))),
            IpAddr::V6(ip) => IpAddr::V6(Ipv6Addr::from(mask_v6(ip, prefix))),
        };
        Ok(TrustedProxy { network, prefix })
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_contain_their_addresses_only() {
        let one: TrustedProxy = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(one.contains(ip("::ffff:127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        let range: TrustedProxy = "10.1.2.3/8".parse().unwrap();
        assert_eq!(range.to_string(), "10.0.0.0/8");
        assert!(range.contains(ip("10.255.0.1")) && !range.contains(ip("11.0.0.1")));
        let v6: TrustedProxy = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: TrustedProxy = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        for bad in [
            "",
            "proxy.local",
            "10.0.0.0/33",
            "10.0.0.0/",
            "::/129",
            "10.0.0.0/+8",
        ] {
            assert!(bad.parse::<TrustedProxy>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn public_urls_are_a_scheme_a_host_and_a_path() {
        let url: PublicUrl = "HTTPS://PDP.Example.com:8443/".parse().unwrap();
        assert_eq!(url.as_str(), "https://pdp.example.com:8443");
        let prefixed: PublicUrl = "http://[::1]:8180/Authz/".parse().unwrap();
        assert_eq!(prefixed.as_str(), "http://[::1]:8180/Authz");
        for bad in [
            "pdp.example.com",
            "ftp://pdp.example.com",
            "https://",
            "https://user@pdp.example.com",
            "https://pdp.example.com/a?b",
            "https://pdp.example.com/#x",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad:?}");
        }
    }
}
