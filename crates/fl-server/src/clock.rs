//! Wall-clock times as the API shows them.

/// Now, in RFC 3339 (UTC, with fractions of a second).
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
