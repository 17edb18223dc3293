//! Telling systemd how the service is doing (`Type=notify`, see `deploy/portier.service`):
//! ready once the policies are proven, the database is open and the socket listens; reloading
//! while a `SIGHUP` reload runs; stopping on shutdown. Outside systemd (`NOTIFY_SOCKET` unset)
//! each call does nothing.

use sd_notify::NotifyState;

/// The service is ready: it answers checks from now on.
pub fn ready() {
    tell(&[NotifyState::Ready]);
}

/// A reload of the policies has begun; [`ready`] ends it.
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => tell(&[NotifyState::Reloading, now]),
        Err(_) => tell(&[NotifyState::Reloading]),
    }
}

/// The service is shutting down.
pub fn stopping() {
    tell(&[NotifyState::Stopping]);
}

/// Sends `states`; a failure is logged, never fatal (the service works without systemd).
fn tell(states: &[NotifyState]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(err) = sd_notify::notify(states) {
        tracing::warn!(error = %err, "could not notify the service manager");
    }
}
