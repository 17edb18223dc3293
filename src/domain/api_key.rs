//! What an API key is made of besides its row: the secret a gateway presents (shown once,
//! kept only as a hash) and the networks it may be used from. Whether a check's address
//! lies within those networks is a fact Cedar cannot compute from a stored list of ranges,
//! so [`Networks::admits`] derives it, per check, for the policies to decide with.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use subtle::ConstantTimeEq;

use super::ApiKeyId;

/// The most ranges a key may be limited to.
pub const MAX_NETWORKS: usize = 64;

/// The networks (CIDR ranges, IPv4 or IPv6) a key may be used from; none: anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks {
    ranges: Vec<IpNet>,
    /// Stored ranges that could not be read back: the key is usable from nowhere.
    nowhere: bool,
}

impl Networks {
    /// Parses ranges such as `203.0.113.0/24` or `2001:db8::/32` (a bare address is its own
    /// range); the error names the first range that is not one.
    pub fn parse<S: AsRef<str>>(ranges: &[S]) -> Result<Networks, String> {
        Networks::parse_each(ranges).map_err(|(_, message)| message)
    }

    /// [`Networks::parse`], with the error also giving the index of the first range that is
    /// not one (`None` when there are too many).
    pub fn parse_each<S: AsRef<str>>(ranges: &[S]) -> Result<Networks, (Option<usize>, String)> {
        if ranges.len() > MAX_NETWORKS {
            return Err((None, format!("at most {MAX_NETWORKS} ranges")));
        }
        ranges
            .iter()
            .enumerate()
            .map(|(i, raw)| parse_range(raw.as_ref().trim()).map_err(|e| (Some(i), e)))
            .collect::<Result<Vec<_>, _>>()
            .map(|ranges| Networks {
                ranges,
                nowhere: false,
            })
    }

    /// Ranges read back from the store: those of [`Networks::parse`], or, should they not
    /// parse, none that admit anything (fail closed).
    pub fn stored<S: AsRef<str>>(ranges: &[S]) -> Networks {
        if ranges.is_empty() {
            return Networks::default();
        }
        Networks::parse(ranges).unwrap_or_else(|_| Networks::nowhere())
    }

    /// Ranges read back from a stored JSON list (`["203.0.113.0/24"]`); text that is not one
    /// admits nothing, as ranges that do not parse do.
    pub fn stored_json(text: &str) -> Networks {
        if text == "[]" {
            return Networks::default();
        }
        match serde_json::from_str::<Vec<String>>(text) {
            Ok(ranges) => Networks::stored(&ranges),
            Err(_) => Networks::nowhere(),
        }
    }

    /// Ranges that admit no address: what stored ranges that do not read back become.
    pub fn nowhere() -> Networks {
        Networks {
            ranges: Vec::new(),
            nowhere: true,
        }
    }

    /// An address these ranges admit (the first range's first address), for asking what a
    /// session from within them may do; `None` without ranges (any address is admitted).
    pub fn sample(&self) -> Option<IpAddr> {
        self.ranges.first().map(IpNet::network)
    }

    /// How many ranges there are.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there is no range (anywhere, unless [`Networks::nowhere`]).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The ranges as written back: `203.0.113.0/24`.
    pub fn to_strings(&self) -> Vec<String> {
        self.ranges.iter().map(ToString::to_string).collect()
    }

    /// Whether a request from `ip` may use the key: always without ranges; with ranges, only
    /// from an address within one of them (an IPv4 address written as IPv6 counts as IPv4).
    pub fn admits(&self, ip: Option<IpAddr>) -> bool {
        if self.nowhere {
            return false;
        }
        if self.ranges.is_empty() {
            return true;
        }
        let Some(ip) = ip.map(|ip| ip.to_canonical()) else {
            return false;
        };
        self.ranges.iter().any(|net| net.contains(&ip))
    }
}

/// One range: CIDR or a bare address, truncated to its prefix; IPv4 written as IPv6 is
/// refused, since addresses are compared in their canonical form and it would never match.
fn parse_range(raw: &str) -> Result<IpNet, String> {
    let net = IpNet::from_str(raw)
        .or_else(|_| IpAddr::from_str(raw).map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("{raw:?} is not an IP range such as 203.0.113.0/24"))?;
    match net {
        IpNet::V6(v6) if v6.network().to_ipv4_mapped().is_some() => Err(format!(
            "{raw:?} is IPv4 written as IPv6: write it as IPv4 (203.0.113.0/24)"
        )),
        _ => Ok(net),
    }
}

/// The secret of an API key: `ptk_<key id>_<64 hex digits>`. It names its key, so a gateway's
/// presented secret is looked up by id and compared in constant time.
#[derive(Clone)]
pub struct ApiKeySecret {
    text: String,
    id: ApiKeyId,
}

const PREFIX: &str = "ptk_";

impl ApiKeySecret {
    /// A new random secret for the key `id`.
    pub fn generate(id: &ApiKeyId) -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        ApiKeySecret {
            text: format!("{PREFIX}{id}_{}", hex::encode(bytes)),
            id: id.clone(),
        }
    }

    /// Reads a presented secret; `None` when it is not shaped like one.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix(PREFIX)?;
        let (id, random) = rest.rsplit_once('_')?;
        if random.len() != 64 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(ApiKeySecret {
            text: text.to_owned(),
            id: ApiKeyId::from_str(id).ok()?,
        })
    }

    /// The key it names.
    pub fn id(&self) -> &ApiKeyId {
        &self.id
    }

    /// The secret itself, to show its creator once.
    pub fn reveal(&self) -> &str {
        &self.text
    }

    /// What the store keeps: the SHA-256 of the secret, hex.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.text.as_bytes()))
    }

    /// Whether this secret hashes to `stored`, compared in constant time.
    pub fn matches(&self, stored: &str) -> bool {
        self.hash().as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn ipv4_written_as_ipv6_is_refused_as_a_range_and_admitted_as_an_address() {
        let err = Networks::parse(&["::ffff:198.51.100.0/120"]).unwrap_err();
        assert!(err.contains("write it as IPv4"), "{err}");
        let v4 = Networks::parse(&["198.51.100.0/24"]).unwrap();
        assert!(v4.admits(ip("::ffff:198.51.100.7")));
        assert_eq!(v4.sample(), ip("198.51.100.0"));
        assert_eq!(Networks::default().sample(), None);
    }

    #[test]
    fn networks_admit_addresses_within_their_ranges_only() {
        let nets = Networks::parse(&["203.0.113.0/24", "2001:db8::/32"]).unwrap();
        assert!(nets.admits(ip("203.0.113.9")));
        assert!(nets.admits(ip("::ffff:203.0.113.9")));
        assert!(nets.admits(ip("2001:db8:1::5")));
        assert!(!nets.admits(ip("203.0.114.1")));
        assert!(!nets.admits(ip("2001:db9::1")));
        assert!(!nets.admits(None));
        assert!(Networks::default().admits(None));
        assert_eq!(
            Networks::parse(&["198.51.100.7"]).unwrap().to_strings(),
            ["198.51.100.7/32"]
        );
        let err = Networks::parse(&["10.0.0.0/8", "nowhere"]).unwrap_err();
        assert!(err.contains("nowhere"), "{err}");
    }

    #[test]
    fn a_secret_names_its_key_and_matches_only_its_hash() {
        let id: ApiKeyId = "0190a1b2-0000-7000-8000-000000000001".parse().unwrap();
        let secret = ApiKeySecret::generate(&id);
        let read = ApiKeySecret::parse(secret.reveal()).unwrap();
        assert_eq!(read.id(), &id);
        assert!(read.matches(&secret.hash()));
        assert!(!ApiKeySecret::generate(&id).matches(&secret.hash()));
        assert!(ApiKeySecret::parse("ptk_abc_123").is_none());
        assert!(ApiKeySecret::parse(&secret.reveal().replace("ptk_", "xx_")).is_none());
    }
}
