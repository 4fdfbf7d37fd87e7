//! The client's IP address. It is the socket peer, unless the peer is a trusted proxy: only then
//! are `X-Forwarded-For` and `X-Real-IP` read, taking the right-most hop that is not itself a
//! trusted proxy. A client therefore cannot pick its own identity by sending these headers.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|network| network.contains(&ip))
}

/// Maps IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) to IPv4, so lists and keys match.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Resolves the client IP from the peer address and the forwarding headers.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect();
    if let Some(client) = forwarded
        .iter()
        .rev()
        .find(|hop| !is_trusted(**hop, trusted))
    {
        return *client;
    }
    if let Some(first) = forwarded.first() {
        // Every hop is a trusted proxy: the left-most is the closest to the client.
        return *first;
    }
    headers
        .get("x-real-ip")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<IpAddr>().ok())
        .map_or(peer, canonical)
}

/// Resolves the client IP of a request; `None` only when the socket peer is unknown.
pub fn of_request(request: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    Some(resolve(peer, request.headers(), trusted))
}

/// Returns whether the request reached us over TLS, directly or via a trusted proxy.
pub fn is_https(request: &HttpRequest, trusted: &[IpNet]) -> bool {
    if request.connection_info().scheme() == "https" && request.app_config().secure() {
        return true;
    }
    let from_trusted = request
        .peer_addr()
        .is_some_and(|peer| is_trusted(peer.ip(), trusted));
    from_trusted
        && request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_ignores_forwarding_headers() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-real-ip", "5.6.7.8")]);
        assert_eq!(
            resolve(ip("203.0.113.9"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(resolve(ip("203.0.113.9"), &spoofed, &[]), ip("203.0.113.9"));
    }

    #[test]
    fn trusted_peer_takes_rightmost_untrusted_hop() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        // The client prepended a fake hop; the proxy appended the real one.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &chain, &trusted),
            ip("198.51.100.7")
        );
        let real_ip = headers(&[("x-real-ip", "198.51.100.8")]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &real_ip, &trusted),
            ip("198.51.100.8")
        );
        let garbage = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(resolve(ip("10.0.0.1"), &garbage, &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn mapped_ipv6_is_treated_as_ipv4() {
        let trusted = ["127.0.0.1/32".parse().unwrap()];
        let chain = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), &chain, &trusted),
            ip("198.51.100.7")
        );
    }
}
