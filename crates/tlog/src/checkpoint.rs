//! C2SP tlog-checkpoint v1.0.0: the signed statement of a log's origin, size and root.
//!
//! ```
//! use tlog::checkpoint::Checkpoint;
//!
//! let cp = Checkpoint { origin: "log.example/v1".into(), size: 3, root: [0; 32], extensions: vec![] };
//! let text = cp.to_text();
//! assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
//! ```

use crate::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("a checkpoint ends with a newline")]
    NoFinalNewline,
    #[error("the origin line is empty or has surrounding spaces")]
    BadOrigin,
    #[error("the size must be a decimal number without leading zeros")]
    BadSize,
    #[error("the root must be the base64 of 32 bytes")]
    BadRoot,
    #[error("a checkpoint has at least origin, size and root lines")]
    TooShort,
    #[error("extension lines must not be empty")]
    EmptyExtension,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique name, e.g. "normverk.example/access-log".
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Further lines a log may add; kept in order.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint body (the note text to sign).
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root));
        for e in &self.extensions {
            text.push_str(e);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint body, refusing anything malformed.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::NoFinalNewline)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(CheckpointError::TooShort);
        };
        if origin.is_empty() || origin.trim() != origin || origin.chars().any(char::is_control) {
            return Err(CheckpointError::BadOrigin);
        }
        let digits_ok =
            !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit()) && (size == "0" || !size.starts_with('0'));
        let size: u64 = if digits_ok {
            size.parse().map_err(|_| CheckpointError::BadSize)?
        } else {
            return Err(CheckpointError::BadSize);
        };
        let root: Hash = B64.decode(root).ok().and_then(|b| b.try_into().ok()).ok_or(CheckpointError::BadRoot)?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::EmptyExtension);
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root, extensions })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_extensions() {
        let cp = Checkpoint {
            origin: "o".into(),
            size: 0,
            root: crate::merkle::empty_root(),
            extensions: vec!["x y".into()],
        };
        assert_eq!(cp.to_text(), "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx y\n");
        assert_eq!(Checkpoint::parse(&cp.to_text()).unwrap(), cp);
    }

    #[test]
    fn malformed_checkpoints_are_refused() {
        let root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let cases = [
            (format!("o\n1\n{root}"), CheckpointError::NoFinalNewline),
            (format!("\n1\n{root}\n"), CheckpointError::BadOrigin),
            (format!(" o\n1\n{root}\n"), CheckpointError::BadOrigin),
            (format!("o\n01\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n-1\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n+1\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n99999999999999999999\n{root}\n"), CheckpointError::BadSize),
            ("o\n1\nAAAA\n".to_string(), CheckpointError::BadRoot),
            ("o\n1\n".to_string(), CheckpointError::TooShort),
            (format!("o\n1\n{root}\n\n"), CheckpointError::EmptyExtension),
        ];
        for (text, want) in cases {
            assert_eq!(Checkpoint::parse(&text), Err(want), "{text:?}");
        }
    }
}
