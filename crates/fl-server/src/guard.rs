//! Requests a web page could forge, refused before anything else runs.
//!
//! Any page the user visits can send requests to localhost, and jupyter-server-proxy does no XSRF
//! check for the apps it proxies (it even adds our token to what it forwards). So:
//! - a request that changes state (any method but GET/HEAD/OPTIONS) or opens a websocket must not
//!   carry a cross-site `Origin` (browsers always send it on those; other clients send none);
//! - a POST/PUT/PATCH to the API must say `Content-Type: application/json`, which a cross-site
//!   page cannot send without a CORS preflight we never answer — so no HTML form can drive it.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

fn is_cross_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return false };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, a)| a.trim_end_matches('/'));
    !matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

pub(crate) async fn refuse_forgeries(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let changes_state = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = request.headers();
    if (changes_state || headers.contains_key(header::UPGRADE)) && is_cross_origin(headers) {
        return ApiError::CrossOrigin.into_response();
    }
    let has_body = matches!(method, Method::POST | Method::PUT | Method::PATCH);
    if has_body && request.uri().path().starts_with("/api/") && !is_json(headers) {
        return ApiError::NotJson.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn same_origin_passes_and_any_other_origin_does_not() {
        assert!(!is_cross_origin(&headers(&[("host", "127.0.0.1:8888")])));
        assert!(!is_cross_origin(&headers(&[("host", "127.0.0.1:8888"), ("origin", "http://127.0.0.1:8888")])));
        assert!(is_cross_origin(&headers(&[("host", "127.0.0.1:8888"), ("origin", "https://evil.example")])));
        assert!(is_cross_origin(&headers(&[("host", "127.0.0.1:8888"), ("origin", "null")])));
        assert!(is_cross_origin(&headers(&[("origin", "http://127.0.0.1:8888")])));
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(&headers(&[("content-type", "application/json; charset=utf-8")])));
        assert!(!is_json(&headers(&[("content-type", "application/x-www-form-urlencoded")])));
        assert!(!is_json(&headers(&[("content-type", "text/plain")])));
        assert!(!is_json(&headers(&[])));
    }
}
