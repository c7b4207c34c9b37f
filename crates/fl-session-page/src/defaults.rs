//! The client half of the picture settings: whether the session page offers Xpra video, and the
//! encoding it asks for first, unless the page's query string says otherwise (`video`,
//! `encoding`). The server half (quality, speed) is `fl_session::Picture`.
//!
//! Video (H.264, VP8, VP9, decoded by the browser's WebCodecs) is offered by default to Xpra 4 and
//! later only. Xpra 3.1 encodes video in its Python threads: on two cores the bench's settings
//! table showed it slower than its still pictures, and our client met Debian's on 3.1.3 with
//! pictures alone (BENCHMARKS.md), so `auto` leaves 3.1 on pictures.

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

/// Whether the page offers Xpra video: `auto` decides by the Xpra version ([`Video::for_xpra`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Video {
    Auto,
    On,
    Off,
}

impl Video {
    /// Whether a session on Xpra `major` offers video.
    pub fn for_xpra(self, major: u32) -> bool {
        match self {
            Self::Auto => major >= 4,
            Self::On => true,
            Self::Off => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a video setting: use auto, true or false")]
pub struct VideoError(String);

impl FromStr for Video {
    type Err = VideoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "true" | "yes" | "on" | "1" => Ok(Self::On),
            "false" | "no" | "off" | "0" => Ok(Self::Off),
            _ => Err(VideoError(s.to_owned())),
        }
    }
}

/// What the client page does when its query string leaves `video` and `encoding` unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientDefaults {
    /// Offer Xpra video (H.264, VP8, VP9) where the browser decodes it (WebCodecs).
    pub video: Video,
    pub encoding: Encoding,
}

impl Default for ClientDefaults {
    fn default() -> Self {
        Self {
            video: Video::Auto,
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

    #[test]
    fn auto_video_is_offered_from_xpra_4_on() {
        let auto: Video = "auto".parse().unwrap();
        assert_eq!((auto.for_xpra(3), auto.for_xpra(4), auto.for_xpra(6)), (false, true, true));
        for (word, on) in [("true", true), ("1", true), ("false", false), ("no", false)] {
            let video: Video = word.parse().unwrap();
            assert_eq!((video.for_xpra(3), video.for_xpra(6)), (on, on), "{word}");
        }
        let e = "maybe".parse::<Video>().unwrap_err().to_string();
        assert!(e.contains("auto, true or false"), "{e}");
    }
}
