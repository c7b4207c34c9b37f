//! How Xpra encodes what Firefox shows: the server half of the picture settings (the client half,
//! what the session page offers, is `fl_session_page::ClientDefaults`).
//!
//! Xpra adapts quality and speed to the link and to how fast the client keeps up; these settings
//! bound that or fix it. The defaults are the ones the streaming bench chose on this project's
//! reference machine (`scripts/bench --only stream-tune`, figures in BENCHMARKS.md).

use std::fmt;
use std::str::FromStr;

/// A fixed level (1–100), or `auto`: Xpra picks and keeps adjusting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Auto,
    Fixed(u8),
}

impl Level {
    /// Xpra's own spelling: 0 means automatic.
    fn xpra(self) -> u8 {
        match self {
            Self::Auto => 0,
            Self::Fixed(n) => n,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a level: use auto or a number from 1 to 100")]
pub struct LevelError(String);

impl FromStr for Level {
    type Err = LevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            _ => match s.parse::<u8>() {
                Ok(n @ 1..=100) => Ok(Self::Fixed(n)),
                _ => Err(LevelError(s.to_owned())),
            },
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// Xpra's quality (how lossy) and speed (how much CPU per frame) for every session of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picture {
    pub quality: Level,
    /// The floor of automatic quality.
    pub min_quality: Level,
    pub speed: Level,
    /// The floor of automatic speed.
    pub min_speed: Level,
}

impl Default for Picture {
    fn default() -> Self {
        Self {
            // Automatic: Xpra lowers quality while a page moves and refreshes still areas losslessly.
            quality: Level::Auto,
            // Xpra's own floor (30): text stays readable while a page scrolls.
            min_quality: Level::Fixed(30),
            speed: Level::Auto,
            // Faster encoding: Xpra batches less, so more frames reach the browser, and smaller
            // ones (its quality follows speed down while a page moves).
            min_speed: Level::Fixed(70),
        }
    }
}

impl Picture {
    pub(crate) fn xpra_args(&self) -> [String; 4] {
        [
            format!("--quality={}", self.quality.xpra()),
            format!("--min-quality={}", self.min_quality.xpra()),
            format!("--speed={}", self.speed.xpra()),
            format!("--min-speed={}", self.min_speed.xpra()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_auto_and_1_to_100_only() {
        assert_eq!("auto".parse::<Level>().unwrap(), Level::Auto);
        assert_eq!("1".parse::<Level>().unwrap(), Level::Fixed(1));
        assert_eq!("100".parse::<Level>().unwrap(), Level::Fixed(100));
        for bad in ["0", "101", "-1", "", "high", "50%"] {
            let e = bad.parse::<Level>().unwrap_err().to_string();
            assert!(e.contains("auto or a number from 1 to 100"), "{bad}: {e}");
        }
    }

    #[test]
    fn xpra_gets_each_setting_and_0_for_auto() {
        let picture = Picture {
            quality: Level::Fixed(70),
            min_quality: Level::Auto,
            speed: Level::Auto,
            min_speed: Level::Fixed(60),
        };
        assert_eq!(
            picture.xpra_args(),
            [
                "--quality=70",
                "--min-quality=0",
                "--speed=0",
                "--min-speed=60"
            ]
        );
    }
}
