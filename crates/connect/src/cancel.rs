//! Cancelling a statement while the database runs it.
//!
//! Whoever runs statements holds a [`Cancel`]; whoever wants them stopped (a user killing a
//! query task, the last client of a query going away) calls [`Cancel::cancel`] from any thread.
//! While a driver runs a statement it [`watch`](Cancel::watch)es the cancel with a hook that
//! stops that statement the database's own way (DuckDB's interrupt, PostgreSQL's
//! `pg_cancel_backend`, MariaDB's `KILL QUERY`). Hooks must not block: they run on the caller's
//! thread, which may be an async one.

use std::sync::{Mutex, PoisonError};

use crate::ConnectError;

/// What stops the statement running now.
type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
pub struct Cancel {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cancelled: bool,
    hook: Option<Hook>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel").field("cancelled", &self.is_cancelled()).finish()
    }
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the statement running now, if any, and every later one (they fail at once).
    pub fn cancel(&self) {
        let hook = {
            let mut state = self.state();
            state.cancelled = true;
            state.hook.take()
        };
        if let Some(hook) = hook {
            hook();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// Fails with [`ConnectError::Cancelled`] once cancelled.
    pub fn check(&self) -> Result<(), ConnectError> {
        match self.is_cancelled() {
            true => Err(ConnectError::Cancelled),
            false => Ok(()),
        }
    }

    /// While the returned guard lives, cancelling runs `hook` (once). Fails at once when already
    /// cancelled, so no statement starts after a cancel.
    pub fn watch(&self, hook: impl FnOnce() + Send + 'static) -> Result<Watch<'_>, ConnectError> {
        let mut state = self.state();
        if state.cancelled {
            return Err(ConnectError::Cancelled);
        }
        state.hook = Some(Box::new(hook));
        Ok(Watch { cancel: self })
    }
}

/// Removes the hook when the statement is over. Check [`Cancel::is_cancelled`] after dropping it:
/// when set, the hook has run or is running, and the session it targeted must not be reused.
pub struct Watch<'a> {
    cancel: &'a Cancel,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        self.cancel.state().hook = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_hook_runs_once_while_watched_and_never_after() {
        let cancel = Cancel::new();
        let fired = Arc::new(AtomicUsize::new(0));
        {
            let f = Arc::clone(&fired);
            let _watch = cancel.watch(move || {
                f.fetch_add(1, Ordering::SeqCst);
            });
        }
        cancel.cancel();
        assert_eq!(fired.load(Ordering::SeqCst), 0, "the statement was over");

        let cancel = Cancel::new();
        let f = Arc::clone(&fired);
        let watch = cancel.watch(move || {
            f.fetch_add(1, Ordering::SeqCst);
        });
        cancel.cancel();
        cancel.cancel();
        drop(watch);
        assert_eq!(fired.load(Ordering::SeqCst), 1);
        assert!(matches!(cancel.watch(|| {}), Err(ConnectError::Cancelled)), "no statement starts after a cancel");
        assert!(cancel.check().is_err());
    }
}
