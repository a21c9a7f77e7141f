//! A server process's CPU time and resident memory, from `/proc`.

/// One reading.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// User and system CPU seconds.
    pub cpu_seconds: f64,
    /// Resident memory, KiB.
    pub rss_kib: u64,
}

/// Reads `/proc/<pid>/stat` (user + system time) and `/proc/<pid>/status` (`VmRSS`).
pub fn sample(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())?;
    Some(Usage {
        cpu_seconds: ticks as f64 / 100.0, // USER_HZ is 100 on Linux
        rss_kib,
    })
}
