//! C2SP tlog-tiles: tile and entry-bundle paths, tile contents and entry bundles.
//!
//! ```
//! use tlog::tile::{tile_path, parse_tile_path};
//!
//! assert_eq!(tile_path(0, 1234067, 256), "tile/0/x001/x234/067");
//! assert_eq!(tile_path(1, 5, 17), "tile/1/005.p/17");
//! assert_eq!(parse_tile_path("tile/1/005.p/17"), Ok((1, 5, 17)));
//! ```

use crate::Hash;

/// Hashes per full tile.
pub const TILE_WIDTH: u16 = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("malformed tile path")]
    BadPath,
    #[error("an entry is longer than 65,535 bytes")]
    EntryTooLong,
    #[error("a bundle holds at most 256 entries")]
    TooManyEntries,
    #[error("malformed entry bundle")]
    BadBundle,
    #[error("a tile holds 1 to 256 whole hashes")]
    BadTile,
}

/// The index as path elements: zero-padded groups of three digits, all but the last with "x".
fn encode_index(n: u64) -> String {
    let digits = n.to_string();
    let padded = format!("{}{digits}", "0".repeat((3 - digits.len() % 3) % 3));
    let groups: Vec<&str> = (0..padded.len()).step_by(3).map(|i| &padded[i..i + 3]).collect();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| if i < last { format!("x{g}") } else { g.to_string() })
        .collect::<Vec<_>>()
        .join("/")
}

fn with_width(path: String, width: u16) -> String {
    if width >= TILE_WIDTH {
        path
    } else {
        format!("{path}.p/{width}")
    }
}

/// The path of tile `index` at `level`; `width` below 256 names a partial tile.
pub fn tile_path(level: u8, index: u64, width: u16) -> String {
    with_width(format!("tile/{level}/{}", encode_index(index)), width)
}

/// The path of entry bundle `index`; `width` below 256 names a partial bundle.
pub fn entries_path(index: u64, width: u16) -> String {
    with_width(format!("tile/entries/{}", encode_index(index)), width)
}

fn parse_index_and_width(elements: &[&str]) -> Result<(u64, u16), TileError> {
    let (last, rest) = elements.split_last().ok_or(TileError::BadPath)?;
    let (last, width) = match last.split_once(".p") {
        Some((l, "")) => (l, None),
        Some(_) => return Err(TileError::BadPath),
        None => (*last, Some(TILE_WIDTH)),
    };
    let mut n: u64 = 0;
    let three = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
    for e in rest {
        let g = e.strip_prefix('x').filter(|g| three(g)).ok_or(TileError::BadPath)?;
        n = n.checked_mul(1000).and_then(|n| n.checked_add(g.parse().unwrap_or(0))).ok_or(TileError::BadPath)?;
    }
    if !three(last) {
        return Err(TileError::BadPath);
    }
    n = n.checked_mul(1000).and_then(|n| n.checked_add(last.parse().unwrap_or(0))).ok_or(TileError::BadPath)?;
    // A leading "x000" would make two spellings of one index.
    if rest.first() == Some(&"x000") {
        return Err(TileError::BadPath);
    }
    Ok((n, width.unwrap_or(0)))
}

/// Parses `tile/<L>/<N>[.p/<W>]` into level, index and width (256 for a full tile).
pub fn parse_tile_path(path: &str) -> Result<(u8, u64, u16), TileError> {
    let rest = path.strip_prefix("tile/").ok_or(TileError::BadPath)?;
    let (level, rest) = rest.split_once('/').ok_or(TileError::BadPath)?;
    if level.is_empty()
        || level.len() > 2
        || !level.bytes().all(|b| b.is_ascii_digit())
        || (level.len() > 1 && level.starts_with('0'))
    {
        return Err(TileError::BadPath);
    }
    let level: u8 = level.parse().map_err(|_| TileError::BadPath)?;
    if level > 63 {
        return Err(TileError::BadPath);
    }
    let (index_part, width) = match rest.rsplit_once(".p/") {
        Some((i, w)) => {
            let valid = !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) && !w.starts_with('0');
            let w: u16 =
                if valid { w.parse().map_err(|_| TileError::BadPath)? } else { return Err(TileError::BadPath) };
            if !(1..TILE_WIDTH).contains(&w) {
                return Err(TileError::BadPath);
            }
            (i, Some(w))
        }
        None => (rest, None),
    };
    let elements: Vec<&str> = index_part.split('/').collect();
    let (index, _) = parse_index_and_width(&elements)?;
    Ok((level, index, width.unwrap_or(TILE_WIDTH)))
}

/// A tile's bytes: its hashes, concatenated.
pub fn tile_bytes(hashes: &[Hash]) -> Result<Vec<u8>, TileError> {
    if hashes.is_empty() || hashes.len() > usize::from(TILE_WIDTH) {
        return Err(TileError::BadTile);
    }
    Ok(hashes.concat())
}

/// The hashes of a tile's bytes.
pub fn parse_tile(bytes: &[u8]) -> Result<Vec<Hash>, TileError> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(32) || bytes.len() > 32 * usize::from(TILE_WIDTH) {
        return Err(TileError::BadTile);
    }
    Ok(bytes.chunks(32).filter_map(|c| c.try_into().ok()).collect())
}

/// An entry bundle: each entry prefixed by its length as a big-endian u16.
pub fn entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, TileError> {
    if entries.len() > usize::from(TILE_WIDTH) {
        return Err(TileError::TooManyEntries);
    }
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLong)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// The entries of a bundle.
pub fn parse_entry_bundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [a, b, rest @ ..] = bytes else { return Err(TileError::BadBundle) };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len || out.len() == usize::from(TILE_WIDTH) {
            return Err(TileError::BadBundle);
        }
        out.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec() {
        assert_eq!(tile_path(0, 0, 256), "tile/0/000");
        assert_eq!(tile_path(0, 999, 256), "tile/0/999");
        assert_eq!(tile_path(0, 1000, 256), "tile/0/x001/000");
        assert_eq!(tile_path(3, 1234067, 256), "tile/3/x001/x234/067");
        assert_eq!(tile_path(0, 7, 1), "tile/0/007.p/1");
        assert_eq!(entries_path(1234067, 255), "tile/entries/x001/x234/067.p/255");
        for (l, n, w) in [(0u8, 0u64, 256u16), (5, 1_000_000_000_007, 3), (63, u64::MAX, 256)] {
            assert_eq!(parse_tile_path(&tile_path(l, n, w)), Ok((l, n, w)));
        }
        for bad in [
            "",
            "tile/",
            "tile/0/",
            "tile/0/1",
            "tile/0/0001",
            "tile/0/x1/000",
            "tile/00/000",
            "tile/64/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/",
            "tile/0/x000/001",
            "tile/0/000/",
            "tiles/0/000",
            "tile/0/000.p/01",
            "tile/a/000",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        ] {
            assert!(parse_tile_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bundles_and_tiles_round_trip_and_refuse_garbage() {
        let entries: Vec<&[u8]> = vec![b"", b"a", &[0u8; 300]];
        let bundle = entry_bundle(&entries).unwrap();
        assert_eq!(&bundle[..3], &[0, 0, 0]);
        assert_eq!(parse_entry_bundle(&bundle).unwrap(), entries);
        assert_eq!(parse_entry_bundle(&bundle[..bundle.len() - 1]), Err(TileError::BadBundle));
        assert_eq!(parse_entry_bundle(&[0]), Err(TileError::BadBundle));
        assert_eq!(entry_bundle(&[&vec![0u8; 65536]]), Err(TileError::EntryTooLong));
        let hashes = [[1u8; 32], [2u8; 32]];
        assert_eq!(parse_tile(&tile_bytes(&hashes).unwrap()).unwrap(), hashes);
        assert_eq!(parse_tile(&[0u8; 33]), Err(TileError::BadTile));
        assert_eq!(tile_bytes(&[]), Err(TileError::BadTile));
    }
}
