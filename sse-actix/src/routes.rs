//! [`routes`]: the hub's `GET /events` and `POST /publish`, as an actix-web `Scope`.

use actix_web::{HttpRequest, HttpResponse, Scope, web};
use futures_util::StreamExt;
use sse_core::Subscription;
use sse_core::endpoints::{Authorize, HubEndpoints};
use sse_core::last_event_id::HEADER;

use crate::{Error, Sse};

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?}` -> `{"id"}`), with the statuses documented in
/// [`sse_core::endpoints`]. Register it with `App::service`, inside a scope for a prefix.
pub fn routes<A: Authorize<HttpRequest>>(endpoints: HubEndpoints<A>) -> Scope {
    web::scope("")
        .app_data(web::Data::new(endpoints))
        .route("/events", web::get().to(subscribe::<A>))
        .route("/publish", web::post().to(publish::<A>))
}

async fn subscribe<A: Authorize<HttpRequest>>(
    request: HttpRequest,
    endpoints: web::Data<HubEndpoints<A>>,
) -> Result<Sse<Subscription>, Error> {
    let header = request.headers().get(HEADER).map(|value| value.as_bytes());
    let query = Some(request.query_string()).filter(|query| !query.is_empty());
    let stream = endpoints.subscribe(query, header, |access| {
        endpoints.authorizer().authorize(&request, access)
    })?;
    Ok(Sse::from(stream))
}

async fn publish<A: Authorize<HttpRequest>>(
    request: HttpRequest,
    mut payload: web::Payload,
    endpoints: web::Data<HubEndpoints<A>>,
) -> Result<HttpResponse, Error> {
    let limit = endpoints.body_limit();
    let mut body = web::BytesMut::new();
    let mut truncated = false;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| Error::new(400, "invalid_body", &error.to_string()))?;
        if body.len() + chunk.len() > limit {
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let published = endpoints.publish(&body, truncated, |access| {
        endpoints.authorizer().authorize(&request, access)
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(published.json_body()))
}
