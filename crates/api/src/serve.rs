//! The HTTP edge a public server needs, around the router: a bounded number of connections, a
//! deadline for each request's headers (slow or idle clients are cut off instead of holding a
//! connection forever), a header size limit (431), and graceful shutdown that lets requests in
//! flight finish. Request bodies are bounded by the route layer ([`crate::declare`]), panics are
//! caught by [`crate::catch_panic`].
//!
//! A hand-written accept loop over hyper rather than `axum::serve`, which has none of these knobs.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What one server accepts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once; one more is closed at once rather than left waiting behind
    /// slow clients.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, including waiting for the next request on
    /// a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Bytes of request line and headers (beyond: 431).
    pub max_header_bytes: usize,
    /// Time requests in flight get to finish after shutdown is asked for.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: default_max_connections(),
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 << 10,
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// Half the process's file descriptors (the rest are for databases, files and the store), at
/// most 10,000.
fn default_max_connections() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes into the struct it is given and reads nothing else.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            return usize::try_from(limit.rlim_cur / 2).unwrap_or(10_000).clamp(64, 10_000);
        }
    }
    1_000
}

/// Serves `app` on `listener` until `shutdown` completes, then waits up to the grace period for
/// connections to finish.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refused: u64 = 0;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: the server stays up and tries again.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(refused, limit = limits.max_connections, "connection limit reached; closing new connections");
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_header_size(limits.max_header_bytes)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => tracing::warn!("connections still open after the shutdown grace period"),
    }
    Ok(())
}
