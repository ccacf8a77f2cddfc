//! Timeouts read from the environment (shared by the `http`, `redis`, `chat` and `proxy` examples).

use std::time::Duration;

/// The timeout set in environment variable `name`, in seconds (fractions allowed; `0` for none), or
/// `default` when it is not set. A value that is not a number ends the program with a message saying so.
pub fn from_env(name: &str, default: Option<Duration>) -> Option<Duration> {
    let Ok(value) = std::env::var(name) else { return default };
    match value.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => (secs > 0.0).then(|| Duration::from_secs_f64(secs)),
        _ => {
            eprintln!("{name}={value:?}: expected a number of seconds (0 for no timeout)");
            std::process::exit(2);
        }
    }
}
