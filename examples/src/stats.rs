//! `GET /stats`: the running jobs and the hub's counts, as JSON.

use sse_core::Hub;

use crate::job::Jobs;

/// `{"jobs_running": n, "hub": {"topics", "subscribers", "published", "delivered", "lagged",
/// "dropped", "buffered_events", "buffered_bytes"}}`.
pub fn json(hub: &Hub, jobs: &Jobs) -> String {
    let hub = hub.stats();
    serde_json::json!({
        "jobs_running": jobs.running(),
        "hub": {
            "topics": hub.topics,
            "subscribers": hub.subscribers,
            "published": hub.published,
            "delivered": hub.delivered,
            "lagged": hub.lagged,
            "dropped": hub.dropped,
            "buffered_events": hub.buffered_events,
            "buffered_bytes": hub.buffered_bytes,
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_field_is_there() {
        let hub = sse_core::Hub::new();
        let json: serde_json::Value =
            serde_json::from_str(&super::json(&hub, &super::Jobs::new())).unwrap();
        assert_eq!(json["jobs_running"], 0);
        for field in [
            "topics",
            "subscribers",
            "published",
            "delivered",
            "lagged",
            "dropped",
            "buffered_events",
            "buffered_bytes",
        ] {
            assert!(json["hub"][field].is_u64(), "{field}");
        }
    }
}
