//! Password hashing, off the async threads and bounded. An argon2 hash takes tens of
//! milliseconds of one core: run inline on the runtime's workers, eight sign-ins at once held
//! every other request (`/healthz` p99 went from 0.9 ms to 61 ms). So each hash runs on the
//! blocking pool, at most one per core at a time; a few more may wait for a turn, and past
//! that the answer is `Busy` at once (429 on the web), rather than a queue that grows.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::secrets;

/// How many hashes may wait for a core, per core.
const WAITING_PER_CORE: usize = 4;

#[derive(Clone)]
pub(super) struct PasswordWork {
    /// One permit per hash running or waiting: its size bounds the queue.
    admitted: Arc<Semaphore>,
    /// One permit per hash running.
    running: Arc<Semaphore>,
}

impl PasswordWork {
    pub(super) fn new() -> PasswordWork {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordWork::with_limits(cores, cores * WAITING_PER_CORE)
    }

    fn with_limits(running: usize, waiting: usize) -> PasswordWork {
        PasswordWork {
            admitted: Arc::new(Semaphore::new(running + waiting)),
            running: Arc::new(Semaphore::new(running)),
        }
    }

    pub(super) async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_string();
        self.run(move || secrets::hash_password(&password)).await
    }

    pub(super) async fn verify(&self, password: &str, stored_hash: &str) -> Result<bool> {
        let (password, stored) = (password.to_string(), stored_hash.to_string());
        self.run(move || secrets::verify_password(&password, &stored))
            .await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _admitted =
            self.admitted.clone().try_acquire_owned().map_err(|_| {
                Error::Busy("too many sign-ins at once; try again in a moment".into())
            })?;
        let _running = self
            .running
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Internal(format!("password hashing: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_queue_the_answer_is_busy_and_nothing_waits() {
        let work = PasswordWork::with_limits(1, 1);
        let hash = work.hash("correct horse").await.unwrap();
        assert!(work.verify("correct horse", &hash).await.unwrap());
        // One running and one waiting fill it: a third is refused at once.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let work = work.clone();
            async move { work.run(move || hold.recv().ok()).await }
        });
        while work.running.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waiting = tokio::spawn({
            let work = work.clone();
            async move { work.verify("x", "not a hash").await }
        });
        while work.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(work.verify("x", &hash).await, Err(Error::Busy(_))));
        release.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert_eq!(waiting.await.unwrap(), Ok(false));
        assert!(
            work.verify("correct horse", &hash).await.unwrap(),
            "free again"
        );
    }
}
