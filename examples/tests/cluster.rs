//! Two demo server processes of different frameworks on one Redis, over HTTP: an event
//! published on one reaches subscribers on both with the same id; a client resumes on the
//! other instance; a reconnect storm that moves clients between the two instances loses and
//! repeats nothing.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::Server;
use futures_util::future::join_all;
use sse_conformance::client::{EventReader, PATIENCE, fetch, publish};
use sse_conformance::redis_server::RedisServer;

fn cluster(redis: &RedisServer) -> (Server, Server) {
    let url = redis.url();
    let axum = Server::start_with(env!("CARGO_BIN_EXE_demo-axum"), &["--redis", &url]);
    let rocket = Server::start_with(
        env!("CARGO_BIN_EXE_demo-rocket"),
        &["--redis", &url, "--no-periodic"],
    );
    (axum, rocket)
}

async fn next_data(reader: &mut EventReader) -> (String, String) {
    let event = reader.next_event().await.expect("an event");
    (event.last_event_id, event.data)
}

#[test]
fn two_instances_share_events_ids_and_resume() {
    let redis = RedisServer::start();
    let (axum, rocket) = cluster(&redis);
    sse_conformance::test_runtime().block_on(async {
        let mut on_axum = EventReader::open(axum.addr, "/events?topic=news", &[]).await;
        let mut on_rocket = EventReader::open(rocket.addr, "/events?topic=news", &[]).await;
        let mut ids = Vec::new();
        for n in 0..10 {
            let via = if n % 2 == 0 { axum.addr } else { rocket.addr };
            ids.push(publish(via, "news", &format!("n{n}")).await);
        }
        for reader in [&mut on_axum, &mut on_rocket] {
            for (n, id) in ids.iter().enumerate() {
                assert_eq!(next_data(reader).await, (id.clone(), format!("n{n}")));
            }
        }
        // A browser that saw n3 on axum resumes on rocket: n4.. exactly once, then live.
        let mut resumed = EventReader::open(
            rocket.addr,
            "/events?topic=news",
            &[("last-event-id", ids[3].as_bytes())],
        )
        .await;
        for (n, id) in ids.iter().enumerate().skip(4) {
            assert_eq!(next_data(&mut resumed).await, (id.clone(), format!("n{n}")));
        }
        let live = publish(axum.addr, "news", "live").await;
        assert_eq!(next_data(&mut resumed).await, (live, "live".to_owned()));
    });
}

/// One client of the storm: it reads until it has `total` events, and every `hop` events it
/// drops its connection and reconnects to the other instance with its `Last-Event-ID`.
async fn hopping_client(
    instances: [SocketAddr; 2],
    start: usize,
    hop: usize,
    total: usize,
) -> Vec<String> {
    let mut received = Vec::new();
    let mut instance = start;
    let mut last = String::new();
    while received.len() < total {
        let headers: Vec<(&str, &[u8])> = if last.is_empty() {
            Vec::new()
        } else {
            vec![("last-event-id", last.as_bytes())]
        };
        let mut reader =
            EventReader::open(instances[instance], "/events?topic=storm", &headers).await;
        for _ in 0..hop {
            let Some(event) = reader.next_event().await else {
                break;
            };
            assert_ne!(
                event.event_type, "missed",
                "nothing expired: {}",
                event.data
            );
            last = event.last_event_id.clone();
            received.push(event.data);
            if received.len() == total {
                break;
            }
        }
        instance = 1 - instance;
    }
    received
}

/// Hub subscribers on both instances together, from `/stats`.
async fn subscribers(instances: [SocketAddr; 2]) -> usize {
    let mut total = 0;
    for addr in instances {
        let stats = fetch(addr, "GET", "/stats", &[], None).await.json();
        total += stats["hub"]["subscribers"].as_u64().unwrap_or(0) as usize;
    }
    total
}

#[test]
fn a_reconnect_storm_across_two_instances_loses_and_repeats_nothing() {
    const CLIENTS: usize = 60;
    const EVENTS: usize = 200;
    let redis = RedisServer::start();
    let (axum, rocket) = cluster(&redis);
    let instances = [axum.addr, rocket.addr];
    sse_conformance::test_runtime().block_on(async {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                tokio::spawn(hopping_client(
                    instances,
                    client % 2,
                    7 + client % 13,
                    EVENTS,
                ))
            })
            .collect();
        // Every client is connected before the first event, so each must see all of them.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while subscribers(instances).await < CLIENTS {
            assert!(tokio::time::Instant::now() < deadline, "clients connected");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for n in 0..EVENTS {
            publish(instances[n % 2], "storm", &n.to_string()).await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let expected: Vec<String> = (0..EVENTS).map(|n| n.to_string()).collect();
        for (client, received) in join_all(clients).await.into_iter().enumerate() {
            assert_eq!(received.expect("client task"), expected, "client {client}");
        }
    });
}
