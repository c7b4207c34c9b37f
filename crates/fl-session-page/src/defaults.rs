//! The client half of the picture settings: whether the session page offers Xpra video, and the
//! encoding it asks for first, unless the page's query string says otherwise (`video`,
//! `encoding`). The server half (quality, speed) is `fl_session::Picture`.
//!
//! Xpra 3.1.3's client offers H.264 and MPEG-1 on 64-bit browsers by default and decodes them in
//! JavaScript (Broadway, JSMpeg). The streaming bench measured that as the slowest picture by far
//! (BENCHMARKS.md), so the service's default is to offer still-image encodings only.

use std::fmt;
use std::str::FromStr;

/// The encoding the client asks Xpra for first (`auto`: Xpra picks per region).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Auto,
    Jpeg,
    Webp,
    Png,
}

impl Encoding {
    const ALL: [(&'static str, Self); 4] = [
        ("auto", Self::Auto),
        ("jpeg", Self::Jpeg),
        ("webp", Self::Webp),
        ("png", Self::Png),
    ];
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::ALL
            .iter()
            .find(|(_, e)| e == self)
            .map_or("auto", |(n, _)| n);
        f.write_str(name)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an encoding the client decodes: use auto, jpeg, webp or png")]
pub struct EncodingError(String);

impl FromStr for Encoding {
    type Err = EncodingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, e)| *e)
            .ok_or_else(|| EncodingError(s.to_owned()))
    }
}

/// What the client page does when its query string leaves `video` and `encoding` unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientDefaults {
    /// Offer Xpra video (H.264, VP8, VP9) where the browser decodes it (WebCodecs).
    pub video: bool,
    pub encoding: Encoding,
}

impl Default for ClientDefaults {
    fn default() -> Self {
        Self {
            video: true,
            encoding: Encoding::Auto,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_parse_and_print_the_same_words() {
        for word in ["auto", "jpeg", "webp", "png"] {
            assert_eq!(word.parse::<Encoding>().unwrap().to_string(), word);
        }
        let e = "h264".parse::<Encoding>().unwrap_err().to_string();
        assert!(e.contains("auto, jpeg, webp or png"), "{e}");
    }
}
