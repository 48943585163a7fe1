//! The sign-in throttle: failed sign-ins are counted per account (its e-mail, normalised)
//! and per client address in the database, so every process sees the same count; past a
//! few, each attempt waits longer before its password is checked (and hashed). One row per
//! key, forgotten when its window ends.

use std::net::IpAddr;

use time::Duration;

use super::Workspace;
use crate::error::Result;

/// Failures older than this are forgotten.
pub const SIGN_IN_FAILURE_WINDOW: Duration = Duration::minutes(15);
/// Failures for one account that cost nothing.
const FREE_PER_ACCOUNT: i64 = 3;
/// Failures from one address that cost nothing: more, as many people may share one (NAT).
const FREE_PER_CLIENT: i64 = 20;
const FIRST_DELAY: Duration = Duration::milliseconds(500);
const MAX_DELAY: Duration = Duration::seconds(10);

fn keys(email: &str, client: Option<IpAddr>) -> (String, Option<String>) {
    let account = format!("email:{}", email.trim().to_lowercase());
    (account, client.map(|ip| format!("client:{ip}")))
}

/// The wait for `excess` failures past the free ones: 0.5 s, doubling, at most 10 s.
fn delay_for(excess: i64) -> Duration {
    if excess < 0 {
        return Duration::ZERO;
    }
    (FIRST_DELAY * 2i32.pow(excess.min(6) as u32)).min(MAX_DELAY)
}

impl Workspace {
    /// How long to wait before checking a password for `email` from `client`.
    pub async fn sign_in_delay(&self, email: &str, client: Option<IpAddr>) -> Result<Duration> {
        let since = self.now() - SIGN_IN_FAILURE_WINDOW;
        let (account, client) = keys(email, client);
        let by_account = self.store.sign_in_failures(&[account], since).await?;
        let by_client = match client {
            Some(key) => self.store.sign_in_failures(&[key], since).await?,
            None => 0,
        };
        let excess = (by_account - FREE_PER_ACCOUNT).max(by_client - FREE_PER_CLIENT);
        Ok(delay_for(excess))
    }

    pub async fn sign_in_failed(&self, email: &str, client: Option<IpAddr>) -> Result<()> {
        let now = self.now();
        let since = now - SIGN_IN_FAILURE_WINDOW;
        let (account, client) = keys(email, client);
        for key in std::iter::once(account).chain(client) {
            self.store.record_sign_in_failure(&key, now, since).await?;
        }
        Ok(())
    }

    /// A right password clears the account's failures (not the address's: one account
    /// known to an attacker must not reset the count of its guesses at others).
    pub async fn sign_in_succeeded(&self, email: &str) -> Result<()> {
        let (account, _) = keys(email, None);
        self.store.clear_sign_in_failures(&account).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_first_paid_failure_up_to_ten_seconds() {
        assert_eq!(delay_for(-1), Duration::ZERO);
        assert_eq!(delay_for(0), Duration::milliseconds(500));
        assert_eq!(delay_for(1), Duration::seconds(1));
        assert_eq!(delay_for(100), MAX_DELAY);
    }
}
