//! The HTTP server: connections accepted up to a cap, slow and idle clients shed. A client
//! gets `header_timeout` to send a request's head and `body_timeout` for its body, and a
//! keep-alive connection is closed after `idle_timeout` without a request. At the cap, the
//! connection idle the longest makes room for the newcomer; only when every connection is busy
//! does the newcomer get a fast 503. So thousands of idle or trickling connections cannot keep
//! `/healthz` or a signed-in page from answering.

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tower::ServiceExt;

/// How long clients may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// The answer to a connection beyond the cap when none can be shed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
connection: close\r\nretry-after: 1\r\ncontent-length: 116\r\n\r\n\
{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503,\"detail\":\"too many connections; try again shortly\"}";

struct Conn {
    /// Requests in flight on it.
    active: usize,
    /// When it last became idle (or was opened).
    since: Instant,
    close: Arc<Notify>,
}

/// The open connections, so the idle ones can be closed.
#[derive(Default)]
struct Registry {
    conns: Mutex<HashMap<u64, Conn>>,
    next: std::sync::atomic::AtomicU64,
}

impl Registry {
    /// Makes room for a new connection, shedding the one idle the longest at the cap; none when
    /// every connection is busy.
    fn admit(self: &Arc<Self>, max: usize) -> Option<Admitted> {
        let mut conns = self.conns.lock().ok()?;
        if conns.len() >= max {
            let idlest = conns.iter().filter(|(_, c)| c.active == 0).min_by_key(|(_, c)| c.since).map(|(id, _)| *id)?;
            if let Some(shed) = conns.remove(&idlest) {
                shed.close.notify_one();
            }
        }
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        conns.insert(id, Conn { active: 0, since: Instant::now(), close: close.clone() });
        Some(Admitted { id, close, registry: self.clone() })
    }

    fn busy(&self, id: u64, delta: isize) {
        if let Ok(mut conns) = self.conns.lock() {
            if let Some(c) = conns.get_mut(&id) {
                c.active = c.active.saturating_add_signed(delta);
                c.since = Instant::now();
            }
        }
    }

    /// Closes every connection idle for longer than `idle`.
    fn reap(&self, idle: Duration) {
        let Ok(mut conns) = self.conns.lock() else { return };
        conns.retain(|_, c| {
            let keep = c.active > 0 || c.since.elapsed() < idle;
            if !keep {
                c.close.notify_one();
            }
            keep
        });
    }
}

/// A connection's place in the registry, given up when it closes.
struct Admitted {
    id: u64,
    close: Arc<Notify>,
    registry: Arc<Registry>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Ok(mut conns) = self.registry.conns.lock() {
            conns.remove(&self.id);
        }
    }
}

/// A request in flight on a connection, counted while it lasts.
struct InFlight(Arc<Registry>, u64);

impl InFlight {
    fn start(registry: &Arc<Registry>, id: u64) -> InFlight {
        registry.busy(id, 1);
        InFlight(registry.clone(), id)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.busy(self.1, -1);
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then lets
/// requests in flight finish (for at most 30 seconds).
pub async fn run(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_timeout));
    let registry = Arc::new(Registry::default());
    let graceful = GracefulShutdown::new();
    let reaper = {
        let registry = registry.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500).min(limits.idle_timeout));
            loop {
                tick.tick().await;
                registry.reap(limits.idle_timeout);
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or the peer gave up: wait a moment, go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let Some(admitted) = registry.admit(limits.max_connections) else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let (router, registry) = (router.clone(), registry.clone());
        let id = admitted.id;
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let router = router.clone();
            let in_flight = InFlight::start(&registry, id);
            async move {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut().insert(ConnectInfo(addr));
                let resp = router.oneshot(req).await;
                drop(in_flight);
                resp
            }
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                () = admitted.close.notified() => {}
            }
            drop(admitted);
        });
    }
    reaper.abort();
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
    Ok(())
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_idlest_makes_room_and_busy_connections_are_kept() {
        let registry = Arc::new(Registry::default());
        let first = registry.admit(2).unwrap();
        let second = registry.admit(2).unwrap();
        let busy = InFlight::start(&registry, second.id);
        let third = registry.admit(2).expect("the idle first connection makes room");
        assert!(!registry.conns.lock().unwrap().contains_key(&first.id), "the idlest was shed");
        let _also_busy = InFlight::start(&registry, third.id);
        assert!(registry.admit(2).is_none(), "every connection busy: the newcomer is refused");
        drop(busy);
        assert!(registry.admit(2).is_some(), "a finished request makes its connection idle again");
    }
}
