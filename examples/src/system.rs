//! The periodic publishers: the clock and the server's CPU and memory, each on a hub topic,
//! sampled once for every subscriber.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sse_core::{Event, Hub, HubError};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System};

/// Publishes `{"utc": "...", "epoch_ms": ...}` as `event: clock` to `clock` every second.
pub fn start_clock(hub: &Hub) -> Result<(), HubError> {
    hub.publish_every("clock", Duration::from_secs(1), || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let data = format!(
            r#"{{"utc":"{}","epoch_ms":{}}}"#,
            utc(now.as_secs()),
            now.as_millis()
        );
        Event::new(data).event("clock").ok()
    })?;
    Ok(())
}

/// Publishes `{"cpu": %, "memory_used": bytes, "memory_total": bytes, "process_rss": bytes}`
/// as `event: metrics` to `metrics` every second.
pub fn start_metrics(hub: &Hub) -> Result<(), HubError> {
    let mut system = System::new_with_specifics(RefreshKind::nothing());
    let pid = Pid::from_u32(std::process::id());
    hub.publish_every("metrics", Duration::from_secs(1), move || {
        system.refresh_cpu_usage();
        system.refresh_memory();
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        let rss = system.process(pid).map_or(0, |process| process.memory());
        let data = format!(
            r#"{{"cpu":{:.1},"memory_used":{},"memory_total":{},"process_rss":{}}}"#,
            system.global_cpu_usage(),
            system.used_memory(),
            system.total_memory(),
            rss
        );
        Event::new(data).event("metrics").ok()
    })?;
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (civil-from-days, proleptic
/// Gregorian).
pub fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let (h, m, s) = (
        (seconds % 86_400) / 3600,
        (seconds % 3600) / 60,
        seconds % 60,
    );
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::utc(1_795_244_185), "2026-11-21T06:56:25Z");
    }
}
