//! The HTTP/1.1 server loop around the router: what a connection may cost. A client has
//! `header_timeout` to send each request's headers (counted from the connection's start or the
//! previous response, so it is also the idle timeout of a kept-alive connection) and
//! `REQUEST_TIME` for the whole request, body included; at most `max_connections` are open at
//! once (more wait in the kernel's backlog) and at most `PER_CLIENT` from one address that is
//! not a trusted proxy. Each request carries its peer's address (`ConnectInfo`) for
//! `client::Client`. Shutdown stops accepting and lets open requests finish for a few seconds.
//!
//! In: a bound listener, the router, `[web]`; out: served connections until shutdown.

use crate::config::web::WebSettings;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longest a request may take from its headers to its response, slow bodies included.
pub const REQUEST_TIME: Duration = Duration::from_secs(60);
/// Open connections from one address (not a trusted proxy) at most.
pub const PER_CLIENT: usize = 64;
/// How long open requests may finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(5);

/// Open connections per client address.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// A connection's place in `PerClient`, given back when dropped.
struct Slot(Arc<PerClient>, IpAddr);

impl PerClient {
    fn take(counts: &Arc<PerClient>, ip: IpAddr, limit: usize) -> Option<Slot> {
        let mut map = counts.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_default();
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Slot(counts.clone(), ip))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.0.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.1);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    settings: &WebSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let connections = Arc::new(tokio::sync::Semaphore::new(settings.max_connections));
    let per_client = Arc::new(PerClient::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_headers(100)
        // Room for the longest query (20,000 characters, percent-encoded in a GET), no more.
        .max_buf_size(256 * 1024);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let trusted = settings
            .trusted_proxies
            .iter()
            .any(|c| c.contains(peer.ip()));
        let slot = if trusted {
            None
        } else {
            match PerClient::take(&per_client, peer.ip(), PER_CLIENT) {
                Some(slot) => Some(slot),
                None => {
                    drop(stream);
                    continue;
                }
            }
        };
        let router = app.clone();
        let service = hyper::service::service_fn(move |mut request| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move {
                let answer = tokio::time::timeout(
                    REQUEST_TIME,
                    tower_service::Service::call(&mut router, request),
                )
                .await;
                Ok::<_, std::convert::Infallible>(match answer {
                    Ok(Ok(response)) => response,
                    Ok(Err(never)) => match never {},
                    Err(_) => {
                        (StatusCode::REQUEST_TIMEOUT, "the request took too long").into_response()
                    }
                })
            }
        });
        let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
    Ok(())
}

/// The address a request comes from: the socket's peer, or, when the peer is a trusted proxy,
/// the last address in `X-Forwarded-For` that is not one (proxies append, so the entries
/// before it are whatever the client chose to write).
pub fn client_ip(
    peer: Option<SocketAddr>,
    forwarded_for: Option<&str>,
    trusted: &[crate::config::web::Cidr],
) -> Option<IpAddr> {
    let peer = peer?.ip();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    let mut client = peer;
    for entry in header.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            // A malformed entry ends the chain the proxies vouch for.
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::web::Cidr;

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_says_otherwise() {
        let proxies = [Cidr::parse("10.0.0.0/8").unwrap()];
        let peer = |s: &str| Some(SocketAddr::new(s.parse().unwrap(), 40_000));
        let cases: &[(Option<SocketAddr>, Option<&str>, &[Cidr], Option<&str>)] = &[
            (
                peer("203.0.113.5"),
                Some("1.2.3.4"),
                &[],
                Some("203.0.113.5"),
            ),
            (
                peer("203.0.113.5"),
                Some("1.2.3.4"),
                &proxies,
                Some("203.0.113.5"),
            ),
            (
                peer("10.0.0.2"),
                Some("198.51.100.7"),
                &proxies,
                Some("198.51.100.7"),
            ),
            (
                peer("10.0.0.2"),
                Some("6.6.6.6, 198.51.100.7, 10.0.0.9"),
                &proxies,
                Some("198.51.100.7"),
            ),
            (peer("10.0.0.2"), None, &proxies, Some("10.0.0.2")),
            (
                peer("10.0.0.2"),
                Some("junk, 10.0.0.3"),
                &proxies,
                Some("10.0.0.3"),
            ),
            (None, Some("1.2.3.4"), &proxies, None),
        ];
        for (peer, header, trusted, expected) in cases {
            assert_eq!(
                client_ip(*peer, *header, trusted).map(|ip| ip.to_string()),
                expected.map(str::to_string),
                "{peer:?} {header:?}"
            );
        }
    }
}
