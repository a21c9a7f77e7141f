//! The demos' authorization: with a secret (`--auth-secret`, `SSE_AUTH_SECRET`), HS256 JSON
//! Web Tokens in Mercure's style guard `/events`, `/publish` and `/chat` (a token granting
//! publish on `chat`); `POST /disconnect` needs a token granting publish on `*`. Without a
//! secret everything is open but `/disconnect`, which is off (a JSON 403) unless
//! `--allow-disconnect` turns it on.
//!
//! A token for the demos: `cargo run -p sse-examples --bin mint-token -- --secret SECRET
//! --subscribe '*' --publish '*'`.

use sse_core::http::ErrorResponse;
use sse_endpoints::jwt::Jwt;
use sse_endpoints::{Access, Authorize, EndpointError, ReadRequest};

use crate::Options;

/// The demos' authorization, for requests read through the adapter's marker `P`.
#[derive(Debug)]
pub struct DemoAuth<P> {
    jwt: Option<Jwt<P>>,
    allow_disconnect: bool,
}

impl<P> DemoAuth<P> {
    /// From the command line: JWT with `--auth-secret`, and `--allow-disconnect`.
    pub fn new(options: &Options) -> Self {
        DemoAuth {
            // `Options::try_from_args` refused a secret `Jwt::hs256` would not take.
            jwt: options.auth_secret.as_ref().map(|secret| {
                Jwt::hs256(secret).expect("--auth-secret has MIN_HS256_SECRET bytes or more")
            }),
            allow_disconnect: options.allow_disconnect,
        }
    }

    /// The hub routes' hook: the JWT one, or none (everything allowed) without a secret.
    pub fn hook(&self) -> Option<Jwt<P>> {
        self.jwt.clone()
    }

    /// `POST /chat`: publish on `chat` must be granted.
    pub async fn chat<R: ?Sized>(&self, request: &R) -> Result<(), EndpointError>
    where
        P: ReadRequest<R>,
    {
        let answer = self.jwt.authorize(request, Access::Publish("chat"));
        answer.await?;
        Ok(())
    }

    /// `POST /disconnect`: with a secret, a token granting publish on `*`; without one,
    /// only with `--allow-disconnect`.
    pub async fn disconnect<R: ?Sized>(&self, request: &R) -> Result<(), ErrorResponse>
    where
        P: ReadRequest<R>,
    {
        if self.jwt.is_none() && !self.allow_disconnect {
            return Err(ErrorResponse::new(
                403,
                "forbidden",
                "POST /disconnect is off: start the demo with --allow-disconnect or --auth-secret",
            ));
        }
        let answer = self.jwt.authorize(request, Access::Publish("*"));
        answer
            .await
            .map_err(|denied| ErrorResponse::from_error(&EndpointError::from(denied)))?;
        Ok(())
    }
}
