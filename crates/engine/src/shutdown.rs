//! Stopping without losing work: the workers take no new task, the tasks running get a grace
//! period to finish, and those still running after it go back to waiting in the store (their
//! statements cancelled), so the next start runs them again instead of failing them.

use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::Duration;

use crate::{Engine, EngineError};

/// What a shutdown did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Tasks still running when the grace period ended, put back to waiting.
    pub requeued: u64,
}

impl Engine {
    /// Stops taking tasks, waits up to `grace` for the running ones, then puts back those still
    /// running (the next start queues them again) and cancels their statements.
    pub async fn shutdown(&self, grace: Duration) -> Result<Stopped, EngineError> {
        self.inner.stopping.store(true, Ordering::SeqCst);
        let idle = async {
            loop {
                // Listening before looking: a worker ending in between still wakes us.
                let notified = self.inner.idle.notified();
                let mut notified = std::pin::pin!(notified);
                notified.as_mut().enable();
                if self.inner.active.load(Ordering::SeqCst) == 0 {
                    break;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(grace, idle).await.is_ok() {
            return Ok(Stopped::default());
        }
        let requeued = self.store().requeue_running_tasks(&self.inner.owner).await?;
        for flight in self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner).values() {
            flight.cancel();
        }
        tracing::info!(requeued, "tasks still running at shutdown were put back to run at the next start");
        Ok(Stopped { requeued })
    }
}
