//! The ready-made hub routes match only their own paths, so they can be registered before
//! an app's own routes (a `web::scope("")` would catch every path and answer 404).

use actix_web::{App, HttpResponse, test, web};
use sse_core::Hub;
use sse_endpoints::HubEndpoints;

#[actix_web::test]
async fn hub_routes_registered_first_leave_the_apps_routes_alone() {
    let app = test::init_service(
        App::new()
            .service(sse_actix::routes(HubEndpoints::new(Hub::new())))
            .route(
                "/todos",
                web::get().to(|| async { HttpResponse::Ok().body("[]") }),
            )
            .route("/events/archive", web::get().to(HttpResponse::NoContent)),
    )
    .await;
    let todos = test::call_service(&app, test::TestRequest::get().uri("/todos").to_request()).await;
    assert_eq!(todos.status(), 200);
    assert_eq!(test::read_body(todos).await, "[]");
    let archive = test::call_service(
        &app,
        test::TestRequest::get().uri("/events/archive").to_request(),
    )
    .await;
    assert_eq!(archive.status(), 204);
    let events = test::call_service(
        &app,
        test::TestRequest::get().uri("/events?topic=a").to_request(),
    )
    .await;
    assert_eq!(events.status(), 200);
    assert_eq!(
        events.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"text/event-stream"[..])
    );
}
