//! The JSON body of the API's POST routes, as one extractor: read within [`BODY_LIMIT`] (the
//! router's limit), an all-whitespace body read as `{}`, and either failure answered as the API
//! answers errors (`body_too_large`, `invalid_json`).

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::BODY_LIMIT;
use crate::error::ApiError;

pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(request, state).await.map_err(|_| ApiError::BodyTooLarge(BODY_LIMIT))?;
        parse(&body).map(JsonBody)
    }
}

pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| ApiError::InvalidJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fl_api::GotoRequest;

    /// (Empty bodies as defaults: `create_session`'s tests.)
    #[test]
    fn an_empty_body_of_a_route_that_needs_a_field_says_which_is_missing() {
        let Err(ApiError::InvalidJson(why)) = parse::<GotoRequest>(b"") else { panic!("an empty goto parsed") };
        assert!(why.contains("missing field `url`"), "{why}");
    }
}
