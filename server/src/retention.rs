//! `retain-days`: each form's submissions older than its limit are deleted with their
//! notifications, at start and then every hour, through the store's writer.

use std::time::Duration;

use crate::{Config, Store};

/// How often the old submissions are looked for.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Deletes every form's expired submissions now, then every [`EVERY`], on the current
/// tokio runtime; logs what it deleted. Abort the task to stop it.
pub fn start(store: &Store, forms: &[Config]) -> tokio::task::JoinHandle<()> {
    let store = store.clone();
    let limits: Vec<(String, u32)> = forms
        .iter()
        .filter_map(|f| Some((f.name.clone(), f.retain_days?)))
        .collect();
    tokio::spawn(async move {
        if limits.is_empty() {
            return;
        }
        let mut hourly = tokio::time::interval(EVERY);
        loop {
            hourly.tick().await;
            for (form, days) in &limits {
                match store.expire(form, *days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        "form {form}: {n} submission(s) over {days} days old deleted"
                    ),
                    Err(e) => tracing::error!("form {form}: expiry: {e}"),
                }
            }
        }
    })
}
