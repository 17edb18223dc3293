//! The accept loop: HTTP/1 on hyper directly, because `axum::serve` has no header, body or
//! idle timeouts and no connection cap, so a few hundred slow clients could hold every file
//! descriptor. Here each connection holds one permit of a semaphore (when none is left the
//! loop stops accepting, so the kernel's backlog absorbs the excess instead of new sockets),
//! accept errors such as `EMFILE` back off instead of spinning, and shutdown stops accepting,
//! asks every connection to finish its request in flight and waits at most
//! [`SHUTDOWN_GRACE`](super::SHUTDOWN_GRACE).

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use super::connection;
use super::limits::ServeLimits;

/// How long the accept loop pauses after an error such as `EMFILE` (too many open files).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` with the default [`ServeLimits`] until `shutdown` completes,
/// then stops accepting and lets requests in flight finish, for at most
/// [`SHUTDOWN_GRACE`](super::SHUTDOWN_GRACE).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, app, shutdown, ServeLimits::default()).await
}

/// [`serve`] with the given limits.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
) -> io::Result<()> {
    let slots = limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS.min(1 << 24));
    let permits = Arc::new(Semaphore::new(slots));
    let (stop, stopping) = watch::channel(());
    let mut errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    errors.back_off(err).await;
                    continue;
                }
            },
        };
        let (router, stopping) = (app.clone(), stopping.clone());
        tokio::spawn(async move {
            connection::serve(stream, peer, router, limits, stopping).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(());
    // Every open connection holds a permit: all permits back means every connection closed.
    let all_closed = permits.acquire_many(slots as u32);
    if tokio::time::timeout(super::SHUTDOWN_GRACE, all_closed)
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight {:?} after shutdown began; stopping anyway",
            super::SHUTDOWN_GRACE
        );
    }
    Ok(())
}

/// Accept errors: those about one connection are skipped; the others (`EMFILE`, `ENFILE`,
/// `ENOBUFS`) pause the loop, logged at most once a second with how many were not logged.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<Instant>,
    not_logged: u64,
}

impl AcceptErrors {
    async fn back_off(&mut self, err: io::Error) {
        use io::ErrorKind as K;
        if matches!(
            err.kind(),
            K::ConnectionAborted | K::ConnectionReset | K::ConnectionRefused | K::Interrupted
        ) {
            return;
        }
        let now = Instant::now();
        if self
            .last_logged
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1))
        {
            tracing::error!(error = %err, repeated = self.not_logged, "accept error; pausing the accept loop");
            self.last_logged = Some(now);
            self.not_logged = 0;
        } else {
            self.not_logged += 1;
        }
        tokio::time::sleep(ACCEPT_BACKOFF).await;
    }
}
