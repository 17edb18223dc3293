//! How Portier names its own URL to callers (the AuthZEN metadata lists its endpoints by
//! full URL). The metadata is public, and an answer may be cached by a proxy that does not
//! key on `X-Forwarded-Host`, so anyone able to choose the URL could point other clients
//! elsewhere. Hence, in order: the `X-Forwarded-Host` (with `X-Forwarded-Proto`) of a peer
//! that is a configured [`TrustedProxy`]; else the configured [`PublicUrl`]; else the `Host`
//! header, over `http` unless a trusted proxy's `X-Forwarded-Proto` says `https`. Forwarded
//! headers from any other peer are ignored.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::domain::{is_host, PublicUrl, TrustedProxy};
use crate::error::{Error, Result};

/// The configured public URL and trusted proxies, and the choice between them.
#[derive(Debug, Clone, Default)]
pub struct ServerUrl {
    public_url: Option<PublicUrl>,
    trusted_proxies: Vec<TrustedProxy>,
}

impl ServerUrl {
    /// From `--public-url` and `--trusted-proxies`.
    pub fn new(public_url: Option<PublicUrl>, trusted_proxies: Vec<TrustedProxy>) -> Self {
        ServerUrl {
            public_url,
            trusted_proxies,
        }
    }

    /// `scheme://host[:port][/prefix]` for a request from `peer` with `headers`. `400`
    /// naming `Host` when the host to use is missing or not a plain host name or address.
    pub fn resolve(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Result<String> {
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let trusted = peer.is_some_and(|ip| self.trusted_proxies.iter().any(|p| p.contains(ip)));
        let (forwarded_host, forwarded_proto) = if trusted {
            (first("x-forwarded-host"), first("x-forwarded-proto"))
        } else {
            (None, None)
        };
        if let (None, Some(url)) = (forwarded_host, &self.public_url) {
            return Ok(url.as_str().to_owned());
        }
        let scheme = match forwarded_proto {
            Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        let host = forwarded_host
            .or_else(|| first("host"))
            .ok_or_else(|| Error::bad_field("Host", "required to name this server's URL"))?;
        if !is_host(host) {
            return Err(Error::bad_field("Host", "not a host name or address"));
        }
        Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::ServerUrl;
    use axum::http::HeaderMap;
    use std::net::IpAddr;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    const PROXIED: [(&str, &str); 3] = [
        ("host", "10.0.0.5"),
        ("x-forwarded-host", "PDP.example.com"),
        ("x-forwarded-proto", "https"),
    ];

    fn peer(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn forwarded_headers_count_from_trusted_proxies_only() {
        let trusting = ServerUrl::new(None, vec!["10.0.0.0/8".parse().unwrap()]);
        let proxied = headers(&PROXIED);
        let via_proxy = trusting.resolve(peer("10.1.1.1"), &proxied).unwrap();
        assert_eq!(via_proxy, "https://pdp.example.com");
        let from_elsewhere = trusting.resolve(peer("192.0.2.1"), &proxied).unwrap();
        assert_eq!(from_elsewhere, "http://10.0.0.5");
        assert_eq!(
            ServerUrl::default()
                .resolve(peer("10.1.1.1"), &proxied)
                .unwrap(),
            "http://10.0.0.5"
        );
        let tls_only = headers(&[
            ("host", "pdp.internal:8180"),
            ("x-forwarded-proto", "https"),
        ]);
        let resolved = trusting.resolve(peer("10.1.1.1"), &tls_only).unwrap();
        assert_eq!(resolved, "https://pdp.internal:8180");
    }

    #[test]
    fn the_public_url_comes_before_the_host_header() {
        let public = ServerUrl::new(
            Some("https://pdp.example.com/authz".parse().unwrap()),
            vec![],
        );
        let direct = headers(&[("host", "evil.example")]);
        let resolved = public.resolve(peer("192.0.2.1"), &direct).unwrap();
        assert_eq!(resolved, "https://pdp.example.com/authz");
        let resolved = public
            .resolve(peer("192.0.2.1"), &headers(&PROXIED))
            .unwrap();
        assert_eq!(resolved, "https://pdp.example.com/authz");
    }

    #[test]
    fn the_host_header_must_be_a_plain_host() {
        let plain = ServerUrl::default();
        let direct = headers(&[("host", "127.0.0.1:8080")]);
        assert_eq!(
            plain.resolve(None, &direct).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(plain
            .resolve(None, &headers(&[("host", "evil.com/path?x")]))
            .is_err());
        assert!(plain.resolve(None, &HeaderMap::new()).is_err());
    }
}
